{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Megamarket shipment items (one per unit, itemIndex) folded to one row per (shipment, offer), with the
    shipment's status in the shared vocabulary. -#}
with

shipments as (

    select * from {{ ref('stg_megamarket__shipments') }}
    {{ only_new() }}

),

items as (

    select
        shipments.*,
        item.value ->> 'offerId' as offer_id,
        (item.value ->> 'goodsId')::bigint as goods_id,
        coalesce((item.value ->> 'quantity')::int, 1) as quantity,
        coalesce(
            {{ money("item.value ->> 'finalPrice'") }}, {{ money("item.value ->> 'price'") }}
        ) as price
    from shipments
    cross join lateral jsonb_array_elements(coalesce(shipments.items, '[]'::jsonb)) as item

),

final as (

    select
        'megamarket' as marketplace,
        account_id,
        min(order_number) as order_number,
        shipment_id as posting_number,
        offer_id,
        min(goods_id) as mp_sku,
        null::text as scheme,
        min(status) as vendor_status,
        case
            when min(status) in ('NEW', 'CONFIRMED') then 'awaiting_packaging'
            when min(status) = 'PACKED' then 'awaiting_deliver'
            when min(status) in ('SHIPPED', 'PENDING_DELIVERY') then 'delivering'
            when min(status) = 'DELIVERED' then 'delivered'
            when min(status) like '%CANCEL%' then 'cancelled'
            else 'other'
        end as order_status,
        min(created_at) as created_at,
        min(warehouse_id) as warehouse_id,
        sum(quantity) as quantity,
        sum(quantity * price) as amount,
        max(landed_at) as landed_at
    from items
    group by account_id, shipment_id, offer_id

)

select * from final
