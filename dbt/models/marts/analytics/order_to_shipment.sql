{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_to_shipment_id',
          on_schema_change='sync_all_columns',
          indexes=[{'columns': ['order_to_shipment_id']}, {'columns': ['landed_at']}]) }}
{#- Order-to-shipment time (marketplace order created → 1C shipment) per marketplace × cabinet × scheme × week.

    Incremental per week: a cycle recomputes the weeks (of a cabinet and scheme) holding an order line written
    since the previous run (rewritten_since_last_run: a line is rewritten when it or its shipment lands), from all of
    that week's lines. A line never leaves its week (order date and scheme are the order's), so an untouched
    week's row stays right. -#}
with

shipped_lines as (

    select
        marketplace,
        account_id,
        scheme,
        date_trunc('week', order_date)::date as week_start,
        hours_to_shipment,
        landed_at
    from {{ ref('fct_order_lines') }}
    where hours_to_shipment is not null

)
{%- if is_incremental() %},

touched_weeks as (

    select distinct account_id, coalesce(scheme, '') as scheme, date_trunc('week', order_date)::date as week_start
    from {{ ref('fct_order_lines') }}
    where hours_to_shipment is not null and {{ rewritten_since_last_run() }}

)
{%- endif %}

select
    md5(lines.account_id || '|' || coalesce(lines.scheme, '') || '|' || lines.week_start) as order_to_shipment_id,
    lines.marketplace,
    lines.account_id,
    lines.scheme,
    lines.week_start,
    count(*) as shipped_lines,
    round(avg(lines.hours_to_shipment), 2) as avg_hours,
    percentile_cont(0.5) within group (order by lines.hours_to_shipment) as median_hours,
    percentile_cont(0.9) within group (order by lines.hours_to_shipment) as p90_hours,
    max(lines.landed_at) as landed_at
from shipped_lines as lines
{%- if is_incremental() %}
join touched_weeks as touched
    on touched.account_id = lines.account_id
    and touched.scheme = coalesce(lines.scheme, '')
    and touched.week_start = lines.week_start
{%- endif %}
group by lines.marketplace, lines.account_id, lines.scheme, lines.week_start
