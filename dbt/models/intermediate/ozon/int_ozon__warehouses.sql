select 'ozon' as marketplace, account_id, warehouse_id::text as warehouse_id, warehouse_name, scheme
from {{ ref('stg_ozon__warehouses') }}
