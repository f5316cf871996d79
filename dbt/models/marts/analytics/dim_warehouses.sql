{#- Marketplace warehouses (per cabinet) and 1C warehouses (per base) in one list. -#}
select
    md5(marketplace || '|' || account_id || '|' || warehouse_id) as warehouse_key,
    marketplace as source,
    account_id as owner_id,
    warehouse_id,
    warehouse_name,
    scheme
from {{ ref('int_marketplace__warehouses') }}
union all
select
    md5('onec|' || onec_base_id || '|' || warehouse_ref::text),
    'onec',
    onec_base_id,
    warehouse_ref::text,
    warehouse_name,
    'onec'
from {{ ref('stg_onec__warehouses') }}
where not is_folder
