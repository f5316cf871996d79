select
    'ozon' as marketplace,
    account_id,
    offer_id,
    sku as mp_sku,
    product_id as mp_product_id,
    product_name,
    barcodes,
    price,
    is_archived
from {{ ref('stg_ozon__products') }}
