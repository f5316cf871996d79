select
    'yandex_market' as marketplace,
    account_id,
    offer_id,
    'fbs' as scheme,
    warehouse_id::text as warehouse_id,
    coalesce(quantity_available, quantity_fit) as quantity,
    coalesce(quantity_reserved, 0) as reserved
from {{ ref('stg_yandex_market__stocks') }}
