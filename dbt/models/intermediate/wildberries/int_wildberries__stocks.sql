select
    'wildberries' as marketplace,
    stocks.account_id,
    products.offer_id,
    'fbs' as scheme,
    stocks.warehouse_id::text as warehouse_id,
    stocks.quantity,
    0::numeric as reserved
from {{ ref('stg_wildberries__stocks') }} as stocks
left join {{ ref('stg_wildberries__products') }} as products
    on products.account_id = stocks.account_id and products.chrt_id = stocks.chrt_id
