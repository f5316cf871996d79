{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='returns_rate_id',
          on_schema_change='sync_all_columns',
          indexes=[{'columns': ['returns_rate_id']}, {'columns': ['landed_at']}]) }}
{#- Returns rate per marketplace × cabinet × SKU × month (by the report's operation date).

    Incremental per SKU-month: a cycle recomputes the (cabinet, SKU, month) groups holding a sale or return
    written since the previous run (rewritten_since_last_run, so a line mapped to a product later counts too), from all of that group's report lines. A report line keeps its SKU and
    operation date, so an untouched group's row stays right. -#}
with

operations as (

    select
        marketplace,
        account_id,
        offer_id,
        product_ref,
        date_trunc('month', operation_date)::date as month_start,
        operation_type,
        quantity,
        landed_at
    from {{ ref('fct_marketplace_transactions') }}
    where operation_type in ('sale', 'return') and operation_date is not null

)
{%- if is_incremental() %},

touched_groups as (

    select distinct
        account_id, coalesce(offer_id, '') as offer_id, date_trunc('month', operation_date)::date as month_start
    from {{ ref('fct_marketplace_transactions') }}
    where operation_type in ('sale', 'return') and operation_date is not null and {{ rewritten_since_last_run() }}

)
{%- endif %}

select
    md5(operations.account_id || '|' || coalesce(operations.offer_id, '') || '|' || operations.month_start)
        as returns_rate_id,
    operations.marketplace,
    operations.account_id,
    operations.offer_id,
    min(operations.product_ref::text)::uuid as product_ref,
    operations.month_start,
    sum(case when operations.operation_type = 'sale' then operations.quantity else 0 end) as units_sold,
    sum(case when operations.operation_type = 'return' then operations.quantity else 0 end) as units_returned,
    round(
        sum(case when operations.operation_type = 'return' then operations.quantity else 0 end)::numeric
        / nullif(sum(case when operations.operation_type = 'sale' then operations.quantity else 0 end), 0),
        4
    ) as returns_rate,
    max(operations.landed_at) as landed_at
from operations
{%- if is_incremental() %}
join touched_groups as touched
    on touched.account_id = operations.account_id
    and touched.offer_id = coalesce(operations.offer_id, '')
    and touched.month_start = operations.month_start
{%- endif %}
group by operations.marketplace, operations.account_id, operations.offer_id, operations.month_start
