{{ config(materialized='view', post_hook=[]) }}
{#- Desired Ozon prices (macro sync_prices: only what differs from the last acknowledged state; big drops held for
    approval). Ozon POST /v1/product/import/prices: one item per (cabinet, offer_id); ≤ 1000 per request. -#}
{{ sync_prices('ozon', "jsonb_build_object('offer_id', offer_id)") }}
