{#- Marketplace orders (cabinet × order number): lines, units, amount, status, time to the 1C shipment. -#}
select
    md5(account_id || '|' || order_number) as order_id,
    marketplace,
    account_id,
    order_number,
    min(created_at) as created_at,
    min(order_date) as order_date,
    count(*) as lines,
    sum(quantity) as quantity,
    sum(amount) as amount,
    case
        when bool_and(order_status = 'cancelled') then 'cancelled'
        when bool_and(order_status = 'delivered') then 'delivered'
        else min(order_status)
    end as order_status,
    min(shipped_at) as shipped_at,
    round(extract(epoch from min(shipped_at) - min(created_at))::numeric / 3600, 2) as hours_to_shipment
from {{ ref('fct_order_lines') }}
group by marketplace, account_id, order_number
