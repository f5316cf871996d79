{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Yandex Market order items, one row per (order, offer), with the status in the shared vocabulary. -#}
with

orders as (

    select * from {{ ref('stg_yandex_market__orders') }}
    where not is_fake
    {%- if is_incremental() %} and landed_at > {{ new_since() }}{% endif %}

),

items as (

    select
        orders.*,
        item.value ->> 'offerId' as offer_id,
        (item.value ->> 'count')::int as quantity,
        {{ money("item.value -> 'prices' -> 'payment' ->> 'value'") }} as price
    from orders
    cross join lateral jsonb_array_elements(coalesce(orders.items, '[]'::jsonb)) as item

),

final as (

    select
        'yandex_market' as marketplace,
        account_id,
        min(order_number) as order_number,
        min(order_number) as posting_number,
        offer_id,
        null::bigint as mp_sku,
        min(scheme) as scheme,
        min(status || '/' || coalesce(substatus, '')) as vendor_status,
        case
            when min(status) = 'PROCESSING' and min(substatus) = 'READY_TO_SHIP' then 'awaiting_deliver'
            when min(status) = 'PROCESSING' and min(substatus) = 'SHIPPED' then 'delivering'
            when min(status) in ('UNPAID', 'PENDING', 'PROCESSING', 'RESERVED') then 'awaiting_packaging'
            when min(status) in ('DELIVERY', 'PICKUP') then 'delivering'
            when min(status) in ('DELIVERED', 'RETURNED', 'PARTIALLY_RETURNED') then 'delivered'
            when min(status) = 'CANCELLED' then 'cancelled'
            else 'other'
        end as order_status,
        min(created_at) as created_at,
        min(warehouse_id) as warehouse_id,
        sum(quantity) as quantity,
        sum(quantity * price) as amount,
        max(landed_at) as landed_at
    from items
    group by account_id, order_id, offer_id

)

select * from final
