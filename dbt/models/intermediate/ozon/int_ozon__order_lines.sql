{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Ozon FBS and FBO posting items, one row per (posting, offer), with the posting's status in the shared
    vocabulary: awaiting_packaging, awaiting_deliver, delivering, delivered, cancelled, arbitration. -#}
with

postings as (

    select account_id, posting_number, order_number, scheme, status, created_at, warehouse_id, products, landed_at
    from {{ ref('stg_ozon__postings_fbs') }}
    {{ only_new() }}
    union all
    select account_id, posting_number, order_number, scheme, status, created_at, warehouse_id, products, landed_at
    from {{ ref('stg_ozon__postings_fbo') }}
    {{ only_new() }}

),

items as (

    select
        postings.*,
        item.value ->> 'offer_id' as offer_id,
        (item.value ->> 'sku')::bigint as mp_sku,
        (item.value ->> 'quantity')::int as quantity,
        case jsonb_typeof(item.value -> 'price')
            when 'object' then {{ money("item.value -> 'price' ->> 'amount'") }}
            else {{ money("item.value ->> 'price'") }}
        end as price
    from postings
    cross join lateral jsonb_array_elements(coalesce(postings.products, '[]'::jsonb)) as item

),

folded as (

    select
        account_id,
        posting_number,
        offer_id,
        min(order_number) as order_number,
        min(scheme) as scheme,
        min(status) as vendor_status,
        min(created_at) as created_at,
        min(warehouse_id)::text as warehouse_id,
        min(mp_sku) as mp_sku,
        sum(quantity) as quantity,
        sum(quantity * price) as amount,
        max(landed_at) as landed_at
    from items
    group by account_id, posting_number, offer_id

),

final as (

    select
        'ozon' as marketplace,
        account_id,
        order_number,
        posting_number,
        offer_id,
        mp_sku,
        scheme,
        vendor_status,
        case
            when vendor_status in ('awaiting_registration', 'acceptance_in_progress', 'awaiting_approve',
                'awaiting_packaging') then 'awaiting_packaging'
            when vendor_status = 'awaiting_deliver' then 'awaiting_deliver'
            when vendor_status in ('delivering', 'driver_pickup', 'sent_by_seller') then 'delivering'
            when vendor_status = 'delivered' then 'delivered'
            when vendor_status in ('cancelled', 'not_accepted') then 'cancelled'
            when vendor_status in ('arbitration', 'client_arbitration') then 'arbitration'
            else 'other'
        end as order_status,
        created_at,
        warehouse_id,
        quantity,
        amount,
        landed_at

    from folded

)

select * from final
