select
    'yandex_market' as marketplace,
    warehouses.account_id,
    warehouses.warehouse_id::text as warehouse_id,
    warehouses.warehouse_name,
    coalesce(campaigns.scheme, 'fbs') as scheme
from {{ ref('stg_yandex_market__warehouses') }} as warehouses
left join {{ ref('stg_yandex_market__campaigns') }} as campaigns
    on campaigns.account_id = warehouses.account_id and campaigns.campaign_id = warehouses.campaign_id
