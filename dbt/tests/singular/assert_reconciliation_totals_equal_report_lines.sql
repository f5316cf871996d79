{#- The reconciliation lines hold every order-bound sale and return of the reports exactly once: their sums equal
    the report lines' sums per cabinet (no line lost to the mapping, none counted twice). A cycle compares the
    orders of the reconciliation lines it re-read (this_cycle, macros/tests_of_the_cycle.sql); the nightly run
    compares every order. -#}
{%- set cycle = this_cycle(ref('reconciliation_order_lines')) %}
with

{% if cycle != 'true' -%}
orders as (

    select distinct marketplace, order_number from {{ ref('reconciliation_order_lines') }} where {{ cycle }}

),

{% endif -%}
ours as (

    select account_id, sum(reported_sales) as sales, sum(reported_returns) as returns, sum(reported_payout) as payout
    from {{ ref('reconciliation_order_lines') }}
    {%- if cycle != 'true' %}
    where (marketplace, order_number) in (select marketplace, order_number from orders)
    {%- endif %}
    group by 1

),

theirs as (

    select account_id, sum(sales_amount) as sales, sum(returns_amount) as returns, sum(payout_amount) as payout
    from {{ ref('int_marketplace__report_lines') }}
    where order_number is not null
        and (account_id, order_number, offer_id) in (
            select account_id, order_number, offer_id
            from {{ ref('int_marketplace__report_lines') }}
            where operation_type in ('sale', 'return')
            {%- if cycle != 'true' %}
                and (marketplace, order_number) in (select marketplace, order_number from orders)
            {%- endif %}
        )
    group by 1

)

select *
from theirs
full join ours using (account_id)
where coalesce(ours.sales, 0) <> coalesce(theirs.sales, 0)
    or coalesce(ours.returns, 0) <> coalesce(theirs.returns, 0)
    or coalesce(ours.payout, 0) <> coalesce(theirs.payout, 0)
