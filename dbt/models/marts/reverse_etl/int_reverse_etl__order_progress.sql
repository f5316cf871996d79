{{ config(materialized='view', post_hook=[]) }}
{#- 1C progress of the marketplace orders the seller ships from its own stock, beside each order's latest status at
    the marketplace: the base of the four sync_<marketplace>__statuses models (they decide the vendor's next legal
    step, or why there is none).

    Orders: the hot path's new-order lists (latest version per vendor order within the horizon orders_since of
    int_reverse_etl__accounts), one row per vendor order (Ozon posting, WB assembly task, YM order, MM shipment),
    with what the vendor calls need (Ozon SKUs, YM item ids, MM item indexes).
    vendor_status: the latest status the marketplace reported (the extraction's status streams, else the list).
    onec_progress: 'shipped' when a posted Реализация (РеализацияТоваровУслуг) refers to the order's ЗаказКлиента,
    'assembled' when that ЗаказКлиента has Статус КОтгрузке (or is closed) or another part of sellerflow asked for
    it (ops.reverse_etl_progress_requests: the TSD pick-list helper, sellerflow.reverse_etl.statuses), else null
    (nothing to tell). The
    ЗаказКлиента is the one sellerflow reserved: НомерПоДаннымКлиента = the marketplace order number, in the
    cabinet's 1C base.
    items: what the vendor call ships, less the units a finished TSD pick list did not find
    (ops.pick_list_items.short, matched by the marketplace unit: Ozon SKU, WB task, YM item id, MM itemIndex; at
    most planned - short, also once the vendor's list no longer counts the units cancelled there); an
    order of which nothing was found has no step (its shortage goes out through <marketplace>_shortages);
    short_units: how many units were left out (Yandex Market's box layout then removes them: allowRemove). -#}
with

accounts as (

    select * from {{ ref('int_reverse_etl__accounts') }}

),

ozon as (

    select distinct on (account_id, natural_key)
        'ozon' as marketplace, account_id, natural_key as vendor_order_id,
        payload ->> 'order_number' as order_number,
        payload ->> 'status' as list_status,
        (
            select jsonb_agg(jsonb_build_object(
                'sku', (p ->> 'sku')::bigint, 'offer_id', p ->> 'offer_id', 'quantity', (p ->> 'quantity')::int)
                order by p ->> 'sku')
            from jsonb_array_elements(payload -> 'products') as p
        ) as items,
        null::text as campaign_id,
        extracted_at, id
    from {{ source('ozon', 'ozon_postings_fbs_unfulfilled') }}
    where extracted_at > (select min(orders_since) from accounts)
    order by account_id, natural_key, extracted_at desc, id desc

),

wildberries as (

    select distinct on (account_id, natural_key)
        'wildberries' as marketplace, account_id, natural_key as vendor_order_id,
        payload ->> 'rid' as order_number,
        'new' as list_status,
        jsonb_build_array(jsonb_build_object('offer_id', payload ->> 'article', 'quantity', 1)) as items,
        null::text as campaign_id,
        extracted_at, id
    from {{ source('wildberries', 'wildberries_orders_fbs_new') }}
    where extracted_at > (select min(orders_since) from accounts)
    order by account_id, natural_key, extracted_at desc, id desc

),

yandex_market as (

    select distinct on (account_id, natural_key)
        'yandex_market' as marketplace, account_id, natural_key as vendor_order_id,
        payload ->> 'orderId' as order_number,
        concat_ws('/', payload ->> 'status', payload ->> 'substatus') as list_status,
        (
            select jsonb_agg(jsonb_build_object(
                'id', (i ->> 'id')::bigint, 'offer_id', i ->> 'offerId', 'quantity', (i ->> 'count')::int)
                order by (i ->> 'id')::bigint)
            from jsonb_array_elements(payload -> 'items') as i
        ) as items,
        payload ->> 'campaignId' as campaign_id,
        extracted_at, id
    from {{ source('yandex_market', 'yandex_market_orders_processing') }}
    where extracted_at > (select min(orders_since) from accounts)
        and coalesce(payload ->> 'programType', 'FBS') <> 'FBY'
        and not coalesce((payload ->> 'fake')::boolean, false)
    order by account_id, natural_key, extracted_at desc, id desc

),

megamarket as (

    select distinct on (account_id, natural_key)
        'megamarket' as marketplace, account_id, natural_key as vendor_order_id,
        payload ->> 'shipmentId' as order_number,
        payload ->> 'status' as list_status,
        (
            select jsonb_agg(jsonb_build_object(
                'item_index', i ->> 'itemIndex', 'offer_id', i ->> 'offerId', 'quantity', 1)
                order by (i ->> 'itemIndex')::int)
            from jsonb_array_elements(payload -> 'items') as i
            where i ->> 'offerId' <> 'delivery'
        ) as items,
        null::text as campaign_id,
        extracted_at, id
    from {{ source('megamarket', 'megamarket_shipments_new') }}
    where extracted_at > (select min(orders_since) from accounts)
    order by account_id, natural_key, extracted_at desc, id desc

),

orders as (

    select * from ozon
    union all select * from wildberries
    union all select * from yandex_market
    union all select * from megamarket

),

{#- The newest status the marketplace reported for the order: its status stream or its new-order list. -#}
with_status as (

    select orders.*, latest.status as vendor_status
    from orders
    cross join lateral {{ newest_vendor_status('orders', 'vendor_order_id') }} as latest

),

{#- Units not found per (cabinet, vendor order, marketplace unit) on finished pick lists. -#}
short_units as (

    select o.account_id, o.posting_number as vendor_order_id, i.unit_ref, sum(i.short) as short,
        sum(i.quantity) as planned
    from {{ source('picking', 'pick_list_orders') }} as o
    join {{ source('picking', 'pick_list_items') }} as i on i.order_id = o.id
    where o.assembled_at is not null and o.struck_at is null and i.short > 0
    group by 1, 2, 3

),

picked as (

    select
        with_status.*,
        (
            select jsonb_agg(item.value || jsonb_build_object('quantity', found.quantity) order by item.ordinality)
            from jsonb_array_elements(with_status.items) with ordinality as item(value, ordinality)
            left join short_units
                on short_units.account_id = with_status.account_id
                and short_units.vendor_order_id = with_status.vendor_order_id
                and short_units.unit_ref = case with_status.marketplace
                    when 'ozon' then item.value ->> 'sku'
                    when 'wildberries' then with_status.vendor_order_id
                    when 'yandex_market' then item.value ->> 'id'
                    else item.value ->> 'item_index' end
            {#- what was picked: planned - short; the list's own count when the vendor already took the short units
                out (Ozon's product/cancel, YM's allowRemove), so they are never subtracted twice #}
            cross join lateral (
                select case when short_units.short is null then (item.value ->> 'quantity')::int
                    else least((item.value ->> 'quantity')::int, short_units.planned - short_units.short) end as quantity
            ) as found
            where found.quantity > 0
        ) as picked_items,
        (
            select coalesce(sum(short_units.short), 0)::int from short_units
            where short_units.account_id = with_status.account_id
                and short_units.vendor_order_id = with_status.vendor_order_id
        ) as short_units
    from with_status

),

onec_orders as (

    select onec_base_id, client_order_number, customer_order_ref, order_status
    from {{ ref('stg_onec__customer_orders') }}
    where is_posted and not is_deleted and client_order_number is not null

),

requested as (

    select account_id, vendor_order_id, progress
    from {{ source('reverse_etl', 'reverse_etl_progress_requests') }}

),

shipped as (

    select distinct onec_base_id, customer_order_ref
    from {{ ref('stg_onec__shipments') }}
    where is_posted and not is_deleted and customer_order_ref is not null

),

final as (

    select
        with_status.marketplace,
        with_status.account_id,
        with_status.vendor_order_id,
        with_status.order_number,
        with_status.campaign_id,
        with_status.vendor_status,
        with_status.picked_items as items,
        with_status.short_units,
        onec_orders.customer_order_ref,
        onec_orders.order_status as onec_status,
        case
            when shipped.customer_order_ref is not null then 'shipped'
            when onec_orders.order_status in ('КОтгрузке', 'Закрыт') then 'assembled'
            when requested.progress is not null then requested.progress
        end as onec_progress
    from picked as with_status
    join accounts on accounts.account_id = with_status.account_id
    left join requested
        on requested.account_id = with_status.account_id and requested.vendor_order_id = with_status.vendor_order_id
    left join onec_orders
        on onec_orders.onec_base_id = accounts.onec_base_id
        and onec_orders.client_order_number = with_status.order_number
    left join shipped
        on shipped.onec_base_id = onec_orders.onec_base_id
        and shipped.customer_order_ref = onec_orders.customer_order_ref
    where not (with_status.items is not null and with_status.picked_items is null)  -- nothing of it was found

)

select * from final where onec_progress is not null
