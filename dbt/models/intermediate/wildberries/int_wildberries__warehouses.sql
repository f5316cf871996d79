select 'wildberries' as marketplace, account_id, warehouse_id::text as warehouse_id, warehouse_name, 'fbs' as scheme
from {{ ref('stg_wildberries__warehouses') }}
