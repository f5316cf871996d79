{{ config(materialized='view', post_hook=[]) }}
{#- Desired ozon stock (macro sync_stocks: only what differs from the last acknowledged state; a vanished
    SKU goes out as 0). Ozon POST /v2/products/stocks: one item per (cabinet, FBS/rFBS warehouse, offer_id); ≤ 100 per request. -#}
{{ sync_stocks(
    'ozon',
    "jsonb_build_object('offer_id', offer_id, 'warehouse_id', mp_warehouse_id::bigint, 'stock', stock)"
) }}
