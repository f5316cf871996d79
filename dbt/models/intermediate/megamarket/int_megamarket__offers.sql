select
    'megamarket' as marketplace,
    account_id,
    offer_id,
    goods_id as mp_sku,
    null::bigint as mp_product_id,
    offer_name as product_name,
    array[]::text[] as barcodes,
    null::numeric as price,
    false as is_archived
from {{ ref('stg_megamarket__offers') }}
