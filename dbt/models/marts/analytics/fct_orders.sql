{#- Marketplace orders (cabinet × order number): lines, units, amount, status, time to the 1C shipment.
    Incremental: the orders with a line changed since the last run are summed again. -#}
{{ config(materialized='incremental', unique_key='order_id', on_schema_change='sync_all_columns',
          indexes=[{'columns': ['order_id']}, {'columns': ['landed_at']}]) }}
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
    round(extract(epoch from min(shipped_at) - min(created_at))::numeric / 3600, 2) as hours_to_shipment,
    max(landed_at) as landed_at
from {{ ref('fct_order_lines') }}
{%- if is_incremental() %}
where (account_id, order_number) in (
    select account_id, order_number from {{ ref('fct_order_lines') }} where landed_at > {{ new_since() }}
)
{%- endif %}
group by marketplace, account_id, order_number
