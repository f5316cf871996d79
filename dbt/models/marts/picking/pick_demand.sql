{{ config(materialized='view', post_hook=[]) }}
{#- Orders awaiting assembly, one row per pickable unit group, for the pick-list builder (sellerflow.picking).

    Read from the hot path's new-order lists (the same raw lists push_reservations polls every minute: Ozon
    unfulfilled FBS postings, WB new assembly tasks, YM PROCESSING orders, Megamarket NEW/CONFIRMED shipments),
    latest version per posting within var('pick_horizon_days'), with the newest status the vendor reported for it
    (vendor_status, in the vendor's words: its status stream, else the list itself): is_cancelled when the vendor
    cancelled it, awaiting_assembly while that status is one the vendor lists as still to be assembled
    (var('pick_awaiting_statuses'), docs/vendors/*.md). An order that left the list without a cancellation (packed
    in the cabinet, READY_TO_SHIP, in a WB supply…) is not awaiting assembly any more: the builder strikes it from
    open lists and never lists it. Marketplace semantics are kept in the rows:
      - Wildberries: one row per assembly task (always 1 unit), order_group = orderUid, unit_ref = task id;
      - Ozon: one row per (posting, product), order_group = posting_number, unit_ref = Ozon SKU (packages);
      - Yandex Market: one row per order item, order_group = orderId, unit_ref = item id (boxes);
      - Megamarket: one row per lot (1 unit), order_group = shipmentId, unit_ref = itemIndex.
    Each row is mapped to its 1C item (int_product_mapping), the 1C warehouse of the marketplace warehouse
    (the cabinet's warehouse_onec_refs), the item's storage cell there (main cell first) and its barcodes (1C
    barcodes plus the marketplace's own, WB skus). A view: the builder reads it every 5 minutes. -#}
{%- set horizon = "now() - make_interval(days => " ~ var('pick_horizon_days', 3) ~ ")" %}
{#- The statuses in which each vendor still expects the seller to assemble the order (vendor_status vocabulary):
    Ozon FBS/rFBS up to awaiting_packaging «ожидает упаковки» (v3FbsPosting.status, OZ-RU swagger; ship is legal
    only there), WB supplierStatus new (the /api/v3/orders/new list), YM PROCESSING/STARTED (READY_TO_SHIP is
    packed), Megamarket NEW and CONFIRMED (PACKED is packed). -#}
{%- set awaiting = var('pick_awaiting_statuses', {
    'ozon': ['awaiting_registration', 'acceptance_in_progress', 'awaiting_approve', 'awaiting_verification',
             'awaiting_packaging'],
    'wildberries': ['new'],
    'yandex_market': ['PROCESSING/STARTED', 'PROCESSING'],
    'megamarket': ['NEW', 'CONFIRMED'],
}) %}
with

accounts as (

    select
        account_id,
        settings ->> 'onec_base' as onec_base_id,
        coalesce(settings -> 'warehouse_onec_refs', '{}'::jsonb) as warehouse_refs
    from {{ source('reverse_etl', 'reverse_etl_accounts') }}

),

ozon as (

    select distinct on (account_id, natural_key)
        'ozon' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'order_number' as order_number,
        payload -> 'delivery_method' ->> 'warehouse_id' as mp_warehouse_id,
        payload ->> 'in_process_at' as created_at,
        (
            select jsonb_agg(jsonb_build_object(
                'offer_id', p ->> 'offer_id', 'quantity', coalesce((p ->> 'quantity')::int, 1),
                'unit_ref', p ->> 'sku', 'name', p ->> 'name', 'barcodes', '[]'::jsonb))
            from jsonb_array_elements(payload -> 'products') as p
        ) as products,
        natural_key as order_group,
        payload ->> 'status' as list_status, extracted_at, id
    from {{ source('ozon', 'ozon_postings_fbs_unfulfilled') }}
    where extracted_at > {{ horizon }}
    order by account_id, natural_key, extracted_at desc, id desc

),

wildberries as (

    select distinct on (account_id, natural_key)
        'wildberries' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'rid' as order_number,
        payload ->> 'warehouseId' as mp_warehouse_id,
        payload ->> 'createdAt' as created_at,
        jsonb_build_array(jsonb_build_object(
            'offer_id', coalesce(payload ->> 'article', payload -> 'product' ->> 'article'), 'quantity', 1,
            'unit_ref', payload ->> 'id', 'name', null,
            'barcodes', coalesce(payload -> 'skus', payload -> 'product' -> 'skus', '[]'::jsonb))) as products,
        coalesce(payload ->> 'orderUid', natural_key) as order_group,
        'new' as list_status, extracted_at, id
    from {{ source('wildberries', 'wildberries_orders_fbs_new') }}
    where extracted_at > {{ horizon }}
    order by account_id, natural_key, extracted_at desc, id desc

),

yandex_market as (

    select distinct on (account_id, natural_key)
        'yandex_market' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'orderId' as order_number,
        payload -> 'delivery' ->> 'warehouseId' as mp_warehouse_id,
        payload ->> 'creationDate' as created_at,
        (
            select jsonb_agg(jsonb_build_object(
                'offer_id', item ->> 'offerId', 'quantity', coalesce((item ->> 'count')::int, 1),
                'unit_ref', item ->> 'id', 'name', item ->> 'offerName', 'barcodes', '[]'::jsonb))
            from jsonb_array_elements(payload -> 'items') as item
        ) as products,
        natural_key as order_group,
        concat_ws('/', payload ->> 'status', payload ->> 'substatus') as list_status, extracted_at, id
    from {{ source('yandex_market', 'yandex_market_orders_processing') }}
    where extracted_at > {{ horizon }}
        and coalesce(payload ->> 'programType', 'FBS') <> 'FBY'
        and not coalesce((payload ->> 'fake')::boolean, false)
    order by account_id, natural_key, extracted_at desc, id desc

),

megamarket as (

    select distinct on (account_id, natural_key)
        'megamarket' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'shipmentId' as order_number,
        payload ->> 'shippingPoint' as mp_warehouse_id,
        payload ->> 'creationDate' as created_at,
        (
            select jsonb_agg(jsonb_build_object(
                'offer_id', item ->> 'offerId', 'quantity', coalesce((item ->> 'quantity')::int, 1),
                'unit_ref', item ->> 'itemIndex', 'name', item ->> 'goodsName', 'barcodes', '[]'::jsonb))
            from jsonb_array_elements(payload -> 'items') as item
            where item ->> 'offerId' <> 'delivery'
        ) as products,
        natural_key as order_group,
        payload ->> 'status' as list_status, extracted_at, id
    from {{ source('megamarket', 'megamarket_shipments_new') }}
    where extracted_at > {{ horizon }}
    order by account_id, natural_key, extracted_at desc, id desc

),

postings as (

    select * from ozon
    union all select * from wildberries
    union all select * from yandex_market
    union all select * from megamarket

),

{#- The newest status the vendor reported for the posting: its status stream, or the new-order list itself
    (whichever landed last), with each vendor's cancellations as 'cancelled'. -#}
latest_status as (

    select postings.account_id, postings.posting_number, latest.status
    from postings
    cross join lateral {{ newest_vendor_status('postings', 'posting_number', wb_cancellations=true) }} as latest

),

lines as (

    select
        postings.marketplace,
        postings.account_id,
        postings.order_number,
        postings.posting_number,
        postings.order_group,
        postings.mp_warehouse_id,
        postings.created_at,
        product.value ->> 'offer_id' as offer_id,
        product.value ->> 'unit_ref' as unit_ref,
        product.value ->> 'name' as mp_name,
        coalesce((product.value ->> 'quantity')::int, 1) as quantity,
        array(select jsonb_array_elements_text(coalesce(product.value -> 'barcodes', '[]'::jsonb))) as mp_barcodes,
        latest_status.status as vendor_status,
        coalesce(latest_status.status ~* '^cancel|/cancel|canceled$', false) as is_cancelled,
        latest_status.status is null or case postings.marketplace
        {%- for marketplace, statuses in awaiting.items() %}
            when '{{ marketplace }}' then latest_status.status in ('{{ statuses | join("', '") }}')
        {%- endfor %}
            else true end as awaiting_assembly
    from postings
    cross join lateral jsonb_array_elements(coalesce(postings.products, '[]'::jsonb)) as product
    left join latest_status
        on latest_status.account_id = postings.account_id
        and latest_status.posting_number = postings.posting_number

),

mapped as (

    select
        lines.*,
        {{ mapped('product_ref') }} as product_ref,
        {{ mapped('onec_base_id') }} as mapped_base_id
    from lines
    {{ join_product_mapping('lines', 'lines.mp_warehouse_id') }}

),

placed as (

    select
        mapped.*,
        coalesce(mapped.mapped_base_id, accounts.onec_base_id) as onec_base_id,
        nullif(accounts.warehouse_refs ->> mapped.mp_warehouse_id, '')::uuid as warehouse_ref
    from mapped
    left join accounts on accounts.account_id = mapped.account_id

),

cells as (

    select distinct on (placements.onec_base_id, placements.warehouse_ref, placements.product_ref)
        placements.onec_base_id, placements.warehouse_ref, placements.product_ref,
        coalesce(storage_cells.cell_code, storage_cells.cell_name) as cell
    from {{ ref('stg_onec__cell_placements') }} as placements
    join {{ ref('stg_onec__storage_cells') }} as storage_cells
        on storage_cells.onec_base_id = placements.onec_base_id and storage_cells.cell_ref = placements.cell_ref
        and not storage_cells.is_deleted
    order by placements.onec_base_id, placements.warehouse_ref, placements.product_ref,
        placements.is_main_cell desc, storage_cells.cell_code

),

final as (

    select
        placed.marketplace,
        placed.account_id,
        placed.order_number,
        placed.posting_number,
        placed.order_group,
        placed.unit_ref,
        placed.created_at,
        placed.mp_warehouse_id,
        coalesce(placed.warehouse_ref::text,
            placed.marketplace || ':' || placed.account_id || ':' || coalesce(placed.mp_warehouse_id, '?')) as warehouse_key,
        coalesce(warehouses.warehouse_name,
            placed.marketplace || ' ' || placed.account_id || ' ' || coalesce(placed.mp_warehouse_id, '?')) as warehouse_name,
        placed.onec_base_id,
        placed.product_ref,
        placed.offer_id,
        coalesce(products.article, placed.offer_id) as article,
        coalesce(products.product_name, placed.mp_name, placed.offer_id) as product_name,
        array(
            select distinct code from (
                select unnest(placed.mp_barcodes) as code
                union
                select barcodes.barcode from {{ ref('stg_onec__barcodes') }} as barcodes
                where barcodes.onec_base_id = placed.onec_base_id and barcodes.product_ref = placed.product_ref
            ) as codes
            where code is not null and code <> ''
            order by code
        ) as barcodes,
        cells.cell,
        placed.quantity,
        placed.vendor_status,
        placed.is_cancelled,
        placed.awaiting_assembly and not placed.is_cancelled as awaiting_assembly
    from placed
    left join {{ ref('stg_onec__products') }} as products
        on products.onec_base_id = placed.onec_base_id and products.product_ref = placed.product_ref
    left join {{ ref('stg_onec__warehouses') }} as warehouses
        on warehouses.onec_base_id = placed.onec_base_id and warehouses.warehouse_ref = placed.warehouse_ref
    left join cells
        on cells.onec_base_id = placed.onec_base_id and cells.warehouse_ref = placed.warehouse_ref
        and cells.product_ref = placed.product_ref

)

select * from final
