{#- Unit economics per SKU × marketplace × ISO week (by the report's operation date): units, revenue,
    commission, logistics, penalties, storage, payout, 1C cost price and margin. Charges without a SKU (WB
    weekly storage) form a row with an empty SKU. -#}
with

transactions as (

    select * from {{ ref('fct_marketplace_transactions') }}

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
        date_trunc('week', coalesce(transactions.operation_date, transactions.period_start))::date as week_start,
        sum(case when operation_type = 'sale' then quantity else 0 end) as units_sold,
        sum(case when operation_type = 'return' then quantity else 0 end) as units_returned,
        sum(sales_amount + returns_amount) as revenue,
        sum(commission_amount) as commission,
        sum(logistics_amount) as logistics,
        sum(penalty_amount) as penalties,
        sum(storage_amount) as storage,
        sum(acquiring_amount + other_amount) as other,
        sum(payout_amount) as payout
    from transactions
    group by 1, 2, 3, 4, 5

)

select
    md5(weekly.account_id || '|' || coalesce(weekly.offer_id, '') || '|' || weekly.week_start) as unit_economics_id,
    weekly.*,
    products.cost_price,
    (weekly.units_sold - weekly.units_returned) * products.cost_price as cost_of_goods,
    weekly.payout - (weekly.units_sold - weekly.units_returned) * products.cost_price as margin
from weekly
left join accounts on accounts.account_id = weekly.account_id
left join products on products.onec_base_id = accounts.onec_base_id and products.product_ref = weekly.product_ref
