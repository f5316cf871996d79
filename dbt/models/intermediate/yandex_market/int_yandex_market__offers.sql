select
    'yandex_market' as marketplace,
    account_id,
    offer_id,
    market_sku as mp_sku,
    null::bigint as mp_product_id,
    offer_name as product_name,
    barcodes,
    basic_price as price,
    is_archived
from {{ ref('stg_yandex_market__offer_mappings') }}
