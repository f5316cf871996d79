{#- Megamarket has no warehouse listing: the shipping points its shipments name. -#}
select distinct
    'megamarket' as marketplace,
    account_id,
    warehouse_id,
    'Точка отгрузки ' || warehouse_id as warehouse_name,
    'fbs' as scheme
from {{ ref('stg_megamarket__shipments') }}
where warehouse_id is not null
