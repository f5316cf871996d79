{{ config(materialized='view', post_hook=[]) }}
{#- Orders assembled on the handhelds: one row per marketplace posting of a finished pick list, with what was
    picked and what was short per marketplace unit. What the statuses push reads to set the 1C order to
    «assembled» (КОтгрузке) and to make the marketplace's transition (Ozon package, WB supply, YM boxes /
    READY_TO_SHIP, Megamarket packing); a short unit is to be un-reserved and, where the marketplace allows,
    reported. A view over ops (sellerflow.picking). -#}
with

orders as (

    select * from {{ source('picking', 'pick_list_orders') }}
    where assembled_at is not null and struck_at is null

),

items as (

    select
        order_id,
        jsonb_agg(jsonb_build_object(
            'unit_ref', unit_ref, 'offer_id', offer_id, 'product_ref', product_ref, 'article', article,
            'quantity', quantity, 'picked', picked, 'short', coalesce(short, 0)
        ) order by id) as units,
        sum(quantity) as quantity,
        sum(picked) as picked
    from {{ source('picking', 'pick_list_items') }}
    where order_id in (select id from orders)
    group by order_id

)

select
    orders.marketplace,
    orders.account_id,
    orders.order_number,
    orders.posting_number,
    orders.order_group,
    orders.pick_list_id,
    lists.warehouse_key,
    orders.assembled_at,
    items.quantity::int as quantity,
    items.picked::int as picked,
    orders.short_units,
    orders.short_units = 0 as is_complete,
    items.units
from orders
join items on items.order_id = orders.id
join {{ source('picking', 'pick_lists') }} as lists on lists.id = orders.pick_list_id
