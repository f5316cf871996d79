{{ config(materialized='view', post_hook=[]) }}
{#- Desired wildberries stock (macro sync_stocks: only what differs from the last acknowledged state; a vanished
    SKU goes out as 0). Wildberries PUT /api/v3/stocks/{warehouseId} {stocks: [{chrtId, amount}]}: one item per (cabinet, seller warehouse, chrtId); ≤ 1000 per request, one warehouse per request. -#}
{{ sync_stocks(
    'wildberries',
    "jsonb_build_object('offer_id', offer_id, 'warehouse_id', mp_warehouse_id::bigint, 'chrt_id', mp_product_id, 'stock', stock)",
    "case when mp_product_id is null then format('SKU %s has no chrtId in the landed WB cards yet: its stock is published after the next catalog extraction', offer_id) end"
) }}
