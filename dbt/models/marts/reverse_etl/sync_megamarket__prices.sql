{{ config(materialized='view', post_hook=[]) }}
{#- Desired Megamarket prices (macro sync_prices: only what differs from the last acknowledged state; big drops
    held for approval). Megamarket offerService/manualPrice/save: one item per (cabinet, offerId), whole roubles. -#}
{{ sync_prices('megamarket', "jsonb_build_object('offer_id', offer_id)") }}
