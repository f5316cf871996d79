{{ config(materialized='view', post_hook=[]) }}
{#- Desired yandex_market stock (macro sync_stocks: only what differs from the last acknowledged state; a vanished
    SKU goes out as 0). Yandex Market PUT /v2/campaigns/{campaignId}/offers/stocks: one item per (campaign cabinet, offerId); ≤ 2000 SKUs per request; the campaign's warehouse is implied. -#}
{{ sync_stocks(
    'yandex_market',
    "jsonb_build_object('offer_id', offer_id, 'stock', stock)"
) }}
