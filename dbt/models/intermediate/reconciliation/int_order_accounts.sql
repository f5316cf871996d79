{#- Which cabinet a marketplace order number belongs to: from the orders API, else from the reports. -#}
with

numbers as (

    select marketplace, order_number, account_id, 1 as priority
    from {{ ref('int_marketplace__order_lines') }}
    union all
    select marketplace, order_number, account_id, 2 as priority
    from {{ ref('int_marketplace__report_lines') }}
    where order_number is not null

)

select distinct on (marketplace, order_number)
    marketplace,
    order_number,
    account_id
from numbers
order by marketplace, order_number, priority, account_id
