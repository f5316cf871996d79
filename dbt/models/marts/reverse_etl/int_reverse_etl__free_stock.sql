{{ config(materialized='view', post_hook=[]) }}
{#- Free stock to publish, per (marketplace cabinet, publishing unit, SKU): the base of the four
    sync_<marketplace>__stocks models (they only shape the payload and diff it against what the vendor
    acknowledged).

    free = 1C ВНаличии − 1C reserved (КОтгрузке) − marketplace orders that arrived after the 1C snapshot
           − the SKU's safety buffer, never below 0,

    summed over the 1C warehouses the cabinet maps to the unit (connection extra warehouse_onec_refs:
    marketplace warehouse id → Catalog_Склады ref). A unit is one seller (FBS/rFBS/DBS) warehouse for Ozon and
    Wildberries, whose stock APIs take a warehouse id; the whole cabinet (campaign) for Yandex Market and
    Megamarket, whose stock APIs take none (docs/vendors/*.md): there mp_warehouse_id is ''.

    Late orders: lines of the hot path's new-order lists created after the cabinet's 1C base was last read
    (max observed_at of its stock rows), mapped to 1C items and warehouses; a stale 1C snapshot cannot make a
    unit be sold twice. Safety buffer: extra stock_safety_buffer_by_offer {offer_id: units}, else
    stock_safety_buffer of the cabinet's connection, else var('stock_safety_buffer', 0).
    An SKU with no 1C item carries a problem (the sender parks it, nothing is published). -#}
with

accounts as (

    select * from {{ ref('int_reverse_etl__accounts') }}

),

{#- Mapped marketplace warehouses the vendor lists as the seller's own (Megamarket lists none: all of them). -#}
mapped_warehouses as (

    select
        accounts.account_id,
        accounts.marketplace,
        accounts.onec_base_id,
        refs.key as mp_warehouse_id,
        lower(refs.value) as onec_warehouse_ref,
        case when accounts.marketplace in ('yandex_market', 'megamarket') then '' else refs.key end as unit
    from accounts
    cross join lateral jsonb_each_text(accounts.warehouse_refs) as refs
    where accounts.marketplace = 'megamarket'
        or exists (
            select 1 from {{ ref('int_marketplace__warehouses') }} as listed
            where listed.account_id = accounts.account_id and listed.warehouse_id = refs.key
        )

),

unit_sources as (

    select distinct account_id, marketplace, onec_base_id, unit, onec_warehouse_ref
    from mapped_warehouses

),

units as (

    select distinct account_id, marketplace, onec_base_id, unit from unit_sources

),

unit_offers as (

    select
        units.account_id,
        units.marketplace,
        units.onec_base_id,
        units.unit,
        offers.offer_id,
        max(offers.mp_product_id) as mp_product_id
    from units
    join {{ ref('int_marketplace__offers') }} as offers on offers.account_id = units.account_id
    group by 1, 2, 3, 4, 5

),

mapped as (

    select
        unit_offers.*,
        {{ mapped('product_ref') }} as product_ref,
        {{ mapped('unmapped_reason') }} as unmapped_reason
    from unit_offers
    {{ join_product_mapping('unit_offers', 'unit_offers.unit') }}

),

onec_stock as (

    select
        onec_base_id,
        lower(warehouse_ref::text) as onec_warehouse_ref,
        product_ref,
        sum(quantity_in_stock) as in_stock,
        sum(quantity_to_ship) as reserved
    from {{ ref('stg_onec__stock') }}
    group by 1, 2, 3

),

snapshots as (

    select onec_base_id, max(observed_at) as observed_at
    from {{ ref('stg_onec__stock') }}
    group by 1

),

{#- Own-stock postings of the new-order lists (latest version in the horizon), one row per line. -#}
new_lines as (

    select account_id, mp_warehouse_id, created_at, product ->> 'offer_id' as offer_id,
        coalesce((product ->> 'quantity')::int, 1) as quantity
    from (
        select distinct on (account_id, natural_key)
            account_id, payload -> 'delivery_method' ->> 'warehouse_id' as mp_warehouse_id,
            (payload ->> 'in_process_at')::timestamptz as created_at, payload -> 'products' as products
        from {{ source('ozon', 'ozon_postings_fbs_unfulfilled') }}
        where extracted_at > (select min(orders_since) from accounts)
        order by account_id, natural_key, extracted_at desc, id desc
    ) as ozon
    cross join lateral jsonb_array_elements(coalesce(products, '[]'::jsonb)) as product
    union all
    select * from (
        select distinct on (account_id, natural_key)
            account_id, payload ->> 'warehouseId', (payload ->> 'createdAt')::timestamptz, payload ->> 'article', 1
        from {{ source('wildberries', 'wildberries_orders_fbs_new') }}
        where extracted_at > (select min(orders_since) from accounts)
        order by account_id, natural_key, extracted_at desc, id desc
    ) as wildberries
    union all
    select account_id, mp_warehouse_id, created_at, item ->> 'offerId', coalesce((item ->> 'count')::int, 1)
    from (
        select distinct on (account_id, natural_key)
            account_id, payload -> 'delivery' ->> 'warehouseId' as mp_warehouse_id,
            (payload ->> 'creationDate')::timestamptz as created_at, payload -> 'items' as items
        from {{ source('yandex_market', 'yandex_market_orders_processing') }}
        where extracted_at > (select min(orders_since) from accounts) and coalesce(payload ->> 'programType', 'FBS') <> 'FBY'
        order by account_id, natural_key, extracted_at desc, id desc
    ) as yandex_market
    cross join lateral jsonb_array_elements(coalesce(items, '[]'::jsonb)) as item
    union all
    select account_id, mp_warehouse_id, created_at, item ->> 'offerId', coalesce((item ->> 'quantity')::int, 1)
    from (
        select distinct on (account_id, natural_key)
            account_id, payload ->> 'shippingPoint' as mp_warehouse_id,
            (payload ->> 'creationDate')::timestamptz as created_at, payload -> 'items' as items
        from {{ source('megamarket', 'megamarket_shipments_new') }}
        where extracted_at > (select min(orders_since) from accounts)
        order by account_id, natural_key, extracted_at desc, id desc
    ) as megamarket
    cross join lateral jsonb_array_elements(coalesce(items, '[]'::jsonb)) as item
    where item ->> 'offerId' <> 'delivery'

),

late_lines as (

    select
        accounts.onec_base_id,
        lower(accounts.warehouse_refs ->> new_lines.mp_warehouse_id) as onec_warehouse_ref,
        {{ mapped('product_ref') }} as product_ref,
        new_lines.quantity
    from new_lines
    join accounts on accounts.account_id = new_lines.account_id
    join snapshots on snapshots.onec_base_id = accounts.onec_base_id
    {{ join_product_mapping('new_lines', 'new_lines.mp_warehouse_id') }}
    where new_lines.created_at > snapshots.observed_at

),

late_orders as (

    select onec_base_id, onec_warehouse_ref, product_ref, sum(quantity) as quantity
    from late_lines
    where product_ref is not null and onec_warehouse_ref is not null
    group by 1, 2, 3

),

per_source as (

    select
        mapped.account_id,
        mapped.unit,
        mapped.offer_id,
        coalesce(sum(onec_stock.in_stock), 0) as in_stock,
        coalesce(sum(onec_stock.reserved), 0) as reserved,
        coalesce(sum(late_orders.quantity), 0) as late_orders
    from mapped
    join unit_sources
        on unit_sources.account_id = mapped.account_id and unit_sources.unit = mapped.unit
    left join onec_stock
        on onec_stock.onec_base_id = mapped.onec_base_id
        and onec_stock.onec_warehouse_ref = unit_sources.onec_warehouse_ref
        and onec_stock.product_ref = mapped.product_ref
    left join late_orders
        on late_orders.onec_base_id = mapped.onec_base_id
        and late_orders.onec_warehouse_ref = unit_sources.onec_warehouse_ref
        and late_orders.product_ref = mapped.product_ref
    group by 1, 2, 3

),

final as (

    select
        mapped.marketplace,
        mapped.account_id,
        mapped.unit as mp_warehouse_id,
        mapped.offer_id,
        mapped.mp_product_id,
        mapped.onec_base_id,
        mapped.product_ref,
        per_source.in_stock,
        per_source.reserved,
        per_source.late_orders,
        coalesce((accounts.buffer_by_offer ->> mapped.offer_id)::int, accounts.buffer_default) as safety_buffer,
        greatest(
            0,
            per_source.in_stock - per_source.reserved - per_source.late_orders
            - coalesce((accounts.buffer_by_offer ->> mapped.offer_id)::int, accounts.buffer_default)
        )::int as stock,
        case when mapped.product_ref is null then format(
            'SKU %s is not mapped to a 1C item (%s): add it to seeds/product_mapping_overrides.csv or give the '
            || '1C item that Артикул; its stock is not published', mapped.offer_id,
            coalesce(mapped.unmapped_reason, 'not known yet'))
        end as problem
    from mapped
    join per_source
        on per_source.account_id = mapped.account_id and per_source.unit = mapped.unit
        and per_source.offer_id = mapped.offer_id
    join accounts on accounts.account_id = mapped.account_id

)

select * from final
