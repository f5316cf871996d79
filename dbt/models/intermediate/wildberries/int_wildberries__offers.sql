select
    'wildberries' as marketplace,
    account_id,
    offer_id,
    nm_id as mp_sku,
    chrt_id as mp_product_id,
    product_name,
    barcodes,
    null::numeric as price,
    false as is_archived
from {{ ref('stg_wildberries__products') }}
