{#- Unit economics per SKU × marketplace × ISO week (by the report's operation date): units, revenue and every
    charge kind the vendors report (commission, logistics, last mile, penalties, storage, acceptance, deductions
    such as ads and subscriptions, acquiring, other), payout, 1C cost price and margin. Charges without a SKU (WB
    weekly storage) form a row with an empty SKU. Incremental: the cabinet-weeks with a transaction landed since the
    last run are summed again (the cost price of untouched weeks stays as it was; a full refresh re-prices them). -#}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'week_start'],
          on_schema_change='sync_all_columns', indexes=[{'columns': ['account_id', 'week_start']}, {'columns': ['landed_at']}]) }}
with

transactions as (

    select *, date_trunc('week', coalesce(operation_date, period_start))::date as week_start
    from {{ ref('fct_marketplace_transactions') }}
    {%- if is_incremental() %}
    where (account_id, date_trunc('week', coalesce(operation_date, period_start))::date) in (
        select account_id, date_trunc('week', coalesce(operation_date, period_start))::date
        from {{ ref('fct_marketplace_transactions') }}
        where landed_at > {{ new_since() }}
    )
    {%- endif %}

),

products as (

    select onec_base_id, product_ref, cost_price from {{ ref('dim_products') }}

),

accounts as (

    select account_id, onec_base_id from {{ ref('dim_accounts') }}

),

weekly as (

    select
        transactions.marketplace,
        transactions.account_id,
        transactions.offer_id,
        transactions.product_ref,
        transactions.week_start,
        sum(case when operation_type = 'sale' then quantity else 0 end) as units_sold,
        sum(case when operation_type = 'return' then quantity else 0 end) as units_returned,
        sum(sales_amount + returns_amount) as revenue,
        sum(commission_amount) as commission,
        sum(logistics_amount) as logistics,
        sum(last_mile_amount) as last_mile,
        sum(penalty_amount) as penalties,
        sum(storage_amount) as storage,
        sum(acceptance_amount) as acceptance,
        sum(deduction_amount) as deductions,
        sum(acquiring_amount) as acquiring,
        sum(other_amount) as other,
        sum(payout_amount) as payout,
        max(landed_at) as landed_at
    from transactions
    group by 1, 2, 3, 4, 5

)

select
    md5(weekly.account_id || '|' || coalesce(weekly.offer_id, '') || '|' || coalesce(weekly.product_ref::text, '') || '|'
        || weekly.week_start) as unit_economics_id,
    weekly.*,
    products.cost_price,
    (weekly.units_sold - weekly.units_returned) * products.cost_price as cost_of_goods,
    weekly.payout - (weekly.units_sold - weekly.units_returned) * products.cost_price as margin
from weekly
left join accounts on accounts.account_id = weekly.account_id
left join products on products.onec_base_id = accounts.onec_base_id and products.product_ref = weekly.product_ref
