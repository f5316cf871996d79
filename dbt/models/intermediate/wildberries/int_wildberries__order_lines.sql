{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'order_number'],
          indexes=[{'columns': ['account_id', 'order_number']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Wildberries orders, one row per srid (one unit), from the statistics API (every scheme) plus FBS assembly
    tasks it has not listed yet; the status comes from the FBS task status where there is one. -#}
with

statistics_orders as (

    select * from {{ ref('stg_wildberries__orders') }}

),

fbs as (

    select * from {{ ref('stg_wildberries__orders_fbs') }}

),

statuses as (

    select * from {{ ref('stg_wildberries__order_statuses') }}

),

sold as (

    select distinct account_id, order_number
    from {{ ref('stg_wildberries__sales') }}
    where operation = 'sale'

),
{% if is_incremental() %}
touched as (

    {#- orders any of whose sources changed since the last run (a status lands on the assembly task) #}
    select account_id, order_number from statistics_orders where landed_at > {{ new_since() }}
    union
    select account_id, order_number from fbs where landed_at > {{ new_since() }}
    union
    select fbs.account_id, fbs.order_number
    from statuses
    inner join fbs on fbs.account_id = statuses.account_id and fbs.assembly_id = statuses.assembly_id
    where statuses.landed_at > {{ new_since() }}
    union
    select account_id, order_number from {{ ref('stg_wildberries__sales') }}
    where operation = 'sale' and landed_at > {{ new_since() }}

),
{% endif %}

orders as (

    select
        account_id, order_number, offer_id, nm_id, price, is_cancelled, created_at, scheme,
        warehouse_name as warehouse_id, landed_at
    from statistics_orders
    {%- if is_incremental() %}
    where (account_id, order_number) in (select account_id, order_number from touched)
    {%- endif %}
    union all
    select
        account_id, order_number, offer_id, nm_id, price, false, created_at, 'fbs', warehouse_id::text, landed_at
    from fbs
    where not exists (
        select 1 from statistics_orders as s
        where s.account_id = fbs.account_id and s.order_number = fbs.order_number
    )
    {%- if is_incremental() %}
    and (account_id, order_number) in (select account_id, order_number from touched)
    {%- endif %}

),

final as (

    select
        'wildberries' as marketplace,
        orders.account_id,
        orders.order_number,
        coalesce(fbs.assembly_id::text, orders.order_number) as posting_number,
        orders.offer_id,
        orders.nm_id as mp_sku,
        orders.scheme,
        coalesce(statuses.supplier_status || '/' || statuses.wb_status, case when orders.is_cancelled then 'isCancel' end)
            as vendor_status,
        case
            when orders.is_cancelled or statuses.supplier_status = 'cancel' then 'cancelled'
            when statuses.supplier_status = 'new' then 'awaiting_packaging'
            when statuses.supplier_status = 'confirm' then 'awaiting_deliver'
            when statuses.wb_status in ('sold', 'declined_by_client') then 'delivered'
            when statuses.supplier_status = 'complete' then 'delivering'
            when sold.order_number is not null then 'delivered'
            else 'other'
        end as order_status,
        orders.created_at,
        orders.warehouse_id,
        1 as quantity,
        orders.price as amount,
        greatest(orders.landed_at, fbs.landed_at, statuses.landed_at) as landed_at

    from orders
    left join fbs on fbs.account_id = orders.account_id and fbs.order_number = orders.order_number
    left join statuses on statuses.account_id = fbs.account_id and statuses.assembly_id = fbs.assembly_id
    left join sold on sold.account_id = orders.account_id and sold.order_number = orders.order_number

)

select * from final
