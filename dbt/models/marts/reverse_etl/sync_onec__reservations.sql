{{ config(materialized='view', post_hook=[]) }}
{#- Desired 1C reservations: one ЗаказКлиента per marketplace order the seller ships from its own stock (Ozon
    FBS/rFBS, WB FBS, Yandex Market FBS/DBS, Megamarket), in the cabinet's 1C base and organization, partner =
    the marketplace (the commissioner), НомерПоДаннымКлиента = the marketplace order number (the key the
    reconciliation joins on), lines mapped to Номенклатура by int_product_mapping, every line reserved from
    stock (ВариантОбеспечения = СоСклада, Статус КОбеспечению). A cancelled order asks for its lines Отменено
    and Статус Закрыт.

    Only rows whose desired state is distinct from the last state 1C acknowledged (ops.outbox_acknowledged) are
    returned: this is what the push DAG enqueues (sellerflow.reverse_etl, target onec_reservations). A row that
    cannot be sent carries its reasons in payload.problems (unmapped SKU, no 1C base, partner or warehouse): the
    sender parks it with that reason, and it comes back by itself once the mapping is fixed (its payload changes).

    A view, evaluated by the push DAG every minute: orders are those the new-order lists showed in the last
    var('reservation_horizon_days') days (raw rows by landing time), so the cost does not grow with history. -#}
with

accounts as (

    select * from {{ ref('int_reverse_etl__accounts') }}

),

{#- One row per (posting, line) of every list, latest version per posting within the horizon. -#}
ozon as (

    select distinct on (account_id, natural_key)
        'ozon' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'order_number' as order_number,
        payload -> 'delivery_method' ->> 'warehouse_id' as mp_warehouse_id,
        payload ->> 'in_process_at' as created_at,
        payload -> 'products' as products,
        extracted_at,
        min(extracted_at) over (partition by account_id, natural_key) as first_seen_at
    from {{ source('ozon', 'ozon_postings_fbs_unfulfilled') }}
    where extracted_at > (select min(orders_since) from accounts)
    order by account_id, natural_key, extracted_at desc, id desc

),

wildberries as (

    select distinct on (account_id, natural_key)
        'wildberries' as marketplace, account_id, natural_key as posting_number,
        payload ->> 'rid' as order_number,
        payload ->> 'warehouseId' as mp_warehouse_id,
        payload ->> 'createdAt' as created_at,
        jsonb_build_array(jsonb_build_object(
            'offer_id', payload ->> 'article', 'quantity', 1,
            'price', round(coalesce(payload ->> 'convertedFinalPrice', payload ->> 'convertedPrice')::numeric / 100, 2)
        )) as products,
        extracted_at,
        min(extracted_at) over (partition by account_id, natural_key) as first_seen_at
    from {{ source('wildberries', 'wildberries_orders_fbs_new') }}
    where extracted_at > (select min(orders_since) from accounts)
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
                'offer_id', item ->> 'offerId', 'quantity', (item ->> 'count')::int,
                'price', nullif(item -> 'prices' -> 'payment' ->> 'value', '')::numeric))
            from jsonb_array_elements(payload -> 'items') as item
        ) as products,
        extracted_at,
        min(extracted_at) over (partition by account_id, natural_key) as first_seen_at
    from {{ source('yandex_market', 'yandex_market_orders_processing') }}
    where extracted_at > (select min(orders_since) from accounts)
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
                'price', coalesce(nullif(item ->> 'finalPrice', ''), nullif(item ->> 'price', ''))::numeric))
            from jsonb_array_elements(payload -> 'items') as item
            where item ->> 'offerId' <> 'delivery'
        ) as products,
        extracted_at,
        min(extracted_at) over (partition by account_id, natural_key) as first_seen_at
    from {{ source('megamarket', 'megamarket_shipments_new') }}
    where extracted_at > (select min(orders_since) from accounts)
    order by account_id, natural_key, extracted_at desc, id desc

),

postings as (

    select * from ozon
    union all select * from wildberries
    union all select * from yandex_market
    union all select * from megamarket

),

{#- The latest status each vendor's history holds for these postings (cancelled or not). -#}
latest_status as (

    {{ latest_order_status('postings') }}

),

lines as (

    select
        postings.marketplace,
        postings.account_id,
        postings.order_number,
        postings.posting_number,
        postings.mp_warehouse_id,
        postings.created_at,
        postings.first_seen_at,
        product.value ->> 'offer_id' as offer_id,
        coalesce((product.value ->> 'quantity')::int, 1) as quantity,
        coalesce(
            case when jsonb_typeof(product.value -> 'price') = 'object'
                then (product.value -> 'price' ->> 'amount')::numeric
                else (product.value ->> 'price')::numeric end,
            0
        ) as price
    from postings
    cross join lateral jsonb_array_elements(coalesce(postings.products, '[]'::jsonb)) as product

),

mapped as (

    select
        lines.*,
        {{ mapped('product_ref') }} as product_ref,
        {{ mapped('unmapped_reason') }} as unmapped_reason
    from lines
    {{ join_product_mapping('lines', 'lines.mp_warehouse_id') }}

),

{#- One line per (order, SKU, price): Megamarket sends one lot per unit, Ozon may split an order in postings. -#}
order_lines as (

    select
        account_id,
        order_number,
        offer_id,
        price,
        min(product_ref::text)::uuid as product_ref,
        min(unmapped_reason) as unmapped_reason,
        sum(quantity) as quantity
    from mapped
    group by account_id, order_number, offer_id, price

),

order_postings as (

    select
        postings.marketplace,
        postings.account_id,
        postings.order_number,
        min(postings.created_at) as created_at,
        min(postings.first_seen_at) as first_seen_at,
        min(postings.mp_warehouse_id) as mp_warehouse_id,
        array_agg(distinct postings.posting_number order by postings.posting_number) as postings,
        bool_and(coalesce(latest_status.status, '') = 'cancelled') as is_cancelled
    from postings
    left join latest_status
        on latest_status.account_id = postings.account_id
        and latest_status.posting_number = postings.posting_number
    group by 1, 2, 3

),

orders as (

    select
        order_postings.*,
        (
            select jsonb_agg(
                jsonb_build_object(
                    'offer_id', l.offer_id, 'product_key', l.product_ref, 'quantity', l.quantity, 'price', l.price
                ) order by l.offer_id, l.price
            )
            from order_lines as l
            where l.account_id = order_postings.account_id and l.order_number = order_postings.order_number
                and l.product_ref is not null
        ) as lines,
        array(
            select format('SKU %s is not mapped to a 1C item (%s): add it to seeds/product_mapping_overrides.csv '
                || 'or give the 1C item that Артикул', l.offer_id, coalesce(l.unmapped_reason, 'not known yet'))
            from order_lines as l
            where l.account_id = order_postings.account_id and l.order_number = order_postings.order_number
                and l.product_ref is null
            group by l.offer_id, l.unmapped_reason
            order by l.offer_id
        ) as unmapped
    from order_postings

),

commissioners as (

    select distinct on (onec_base_id, inn) onec_base_id, inn, counterparty_ref, partner_ref
    from {{ ref('stg_onec__counterparties') }}
    where not is_deleted and not is_folder
    order by onec_base_id, inn, counterparty_ref

),

desired as (

    select
        orders.account_id,
        orders.order_number,
        orders.first_seen_at,
        accounts.onec_base_id,
        jsonb_build_object(
            'onec_base', accounts.onec_base_id,
            'organization_key', accounts.organization_ref,
            'partner_key', coalesce(accounts.partner_ref, commissioners.partner_ref),
            'contractor_key', coalesce(accounts.contractor_ref, commissioners.counterparty_ref),
            'warehouse_key', accounts.warehouse_refs ->> orders.mp_warehouse_id,
            'marketplace', orders.marketplace,
            'account_id', orders.account_id,
            'order_number', orders.order_number,
            'order_date', orders.created_at,
            'postings', to_jsonb(orders.postings),
            'cancelled', orders.is_cancelled,
            'lines', coalesce(orders.lines, '[]'::jsonb),
            'problems', to_jsonb(array_remove(array[
                case when accounts.account_id is null
                    then format('cabinet %s has no reverse-ETL settings (the push DAG writes them from its connection)', orders.account_id) end,
                case when accounts.account_id is not null and accounts.onec_base_id is null
                    then format('cabinet %s has no 1C base: set extra onec_base of its connection', orders.account_id) end,
                case when accounts.onec_base_id is not null and accounts.organization_ref is null
                    then format('1C base %s has no organization: set extra organization_ref of connection onec_%s',
                        accounts.onec_base_id, accounts.onec_base_id) end,
                case when accounts.onec_base_id is not null and coalesce(accounts.partner_ref, commissioners.partner_ref) is null
                    then format('no 1C partner for %s: set extra onec_partner_key of the cabinet''s connection, or '
                        || 'load the commissioner (ИНН %s) into Catalog_Контрагенты of base %s',
                        orders.marketplace, coalesce(accounts.commissioner_inn, '?'), accounts.onec_base_id) end,
                case when accounts.account_id is not null and accounts.warehouse_refs ->> orders.mp_warehouse_id is null
                    then format('marketplace warehouse %s has no 1C warehouse: add it to extra warehouse_onec_refs',
                        coalesce(orders.mp_warehouse_id, '?')) end
            ]::text[] || coalesce(orders.unmapped, array[]::text[]), null))
        ) as payload
    from orders
    left join accounts on accounts.account_id = orders.account_id
    left join commissioners
        on commissioners.onec_base_id = accounts.onec_base_id and commissioners.inn = accounts.commissioner_inn

),

keyed as (

    select
        account_id || ':' || order_number as item_key,
        coalesce(onec_base_id, '?') as account_id,
        payload,
        md5(payload::text) as payload_hash,
        first_seen_at
    from desired

),

final as (

    select keyed.*
    from keyed
    left join {{ source('reverse_etl', 'outbox_acknowledged') }} as acknowledged
        on acknowledged.target = 'onec_reservations' and acknowledged.item_key = keyed.item_key
    where acknowledged.payload_hash is distinct from keyed.payload_hash

)

select * from final
