{{ config(materialized='view', post_hook=[]) }}
{#- Desired Yandex Market prices (macro sync_prices: only what differs from the last acknowledged state; big drops
    held for approval). YM POST /v2/businesses/{businessId}/offer-prices/updates: one item per (cabinet, offerId);
    ≤ 500 per request. -#}
{{ sync_prices('yandex_market', "jsonb_build_object('offer_id', offer_id)") }}
