{#- Order-to-shipment time (marketplace order created → 1C shipment) per marketplace × cabinet × scheme × week. -#}
select
    md5(account_id || '|' || coalesce(scheme, '') || '|' || date_trunc('week', order_date)::date) as order_to_shipment_id,
    marketplace,
    account_id,
    scheme,
    date_trunc('week', order_date)::date as week_start,
    count(*) as shipped_lines,
    round(avg(hours_to_shipment), 2) as avg_hours,
    percentile_cont(0.5) within group (order by hours_to_shipment) as median_hours,
    percentile_cont(0.9) within group (order by hours_to_shipment) as p90_hours
from {{ ref('fct_order_lines') }}
where hours_to_shipment is not null
group by marketplace, account_id, scheme, date_trunc('week', order_date)::date
