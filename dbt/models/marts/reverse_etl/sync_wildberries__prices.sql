{{ config(materialized='view', post_hook=[]) }}
{#- Desired Wildberries prices (macro sync_prices: only what differs from the last acknowledged state; big drops
    held for approval). WB POST /api/v2/upload/task: one item per (cabinet, card nmID), the 1C price in whole
    roubles with the seller's discount 0 (so the buyer's price is the 1C price); ≤ 1000 per request. -#}
{{ sync_prices('wildberries', "jsonb_build_object('offer_id', offer_id, 'nm_id', mp_sku::bigint)") }}
