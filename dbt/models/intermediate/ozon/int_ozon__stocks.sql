select
    'ozon' as marketplace,
    stocks.account_id,
    stocks.offer_id,
    coalesce(by_type.value ->> 'type', 'fbs') as scheme,
    coalesce(by_type.value -> 'warehouse_ids' ->> 0, by_type.value ->> 'type') as warehouse_id,
    (by_type.value ->> 'present')::numeric as quantity,
    (by_type.value ->> 'reserved')::numeric as reserved
from {{ ref('stg_ozon__stocks') }} as stocks
cross join lateral jsonb_array_elements(coalesce(stocks.stocks_by_type, '[]'::jsonb)) as by_type
