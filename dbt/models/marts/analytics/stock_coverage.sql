{#- Days of stock per SKU and warehouse: stock on hand ÷ average daily units ordered over the last
    var stock_coverage_days days (of the cabinet's own orders, cancellations excluded). -#}
with

stocks as (

    select * from {{ ref('int_marketplace__stocks') }}
    where offer_id is not null

),

last_order as (

    select account_id, max(created_at) as last_order_at
    from {{ ref('fct_order_lines') }}
    group by 1

),

demand as (

    select lines.account_id, lines.offer_id, sum(lines.quantity) as units
    from {{ ref('fct_order_lines') }} as lines
    inner join last_order on last_order.account_id = lines.account_id
    where lines.order_status <> 'cancelled'
        and lines.created_at > last_order.last_order_at - interval '{{ var("stock_coverage_days") }} days'
    group by 1, 2

)

select
    md5(stocks.account_id || '|' || stocks.warehouse_id || '|' || stocks.offer_id || '|' || stocks.scheme)
        as stock_coverage_id,
    stocks.marketplace,
    stocks.account_id,
    stocks.scheme,
    stocks.warehouse_id,
    stocks.offer_id,
    stocks.quantity as stock_quantity,
    stocks.reserved,
    round(coalesce(demand.units, 0)::numeric / {{ var("stock_coverage_days") }}, 3) as daily_units,
    case
        when coalesce(demand.units, 0) = 0 then null
        else round(stocks.quantity / (demand.units::numeric / {{ var("stock_coverage_days") }}), 1)
    end as coverage_days
from stocks
left join demand on demand.account_id = stocks.account_id and demand.offer_id = stocks.offer_id
