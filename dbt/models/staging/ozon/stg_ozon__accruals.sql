{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'accrual_id'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'accrual_id']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Ozon's charges per accrual (/v1/finance/accrual/by-day, docs/vendors/ozon.md), one row per charge: a posting
    accrual's services (posting.products[].delivery.services[] — logistics, last mile, acquiring...), an item
    accrual's fees (item_fees.fees[].fees[] [?: shape seen in public code only]) and a NON_ITEM fee (storage,
    subscriptions, compensations; no posting, no SKU). Sales and Ozon's commission are not repeated here: they
    come from the realization report. amount is signed as Ozon sends it (a charge is negative), roubles. -#}
with

source as (

    {{ latest_version('ozon', 'ozon_accruals') }}

),

posting_services as (

    select
        source.account_id,
        source.payload,
        source.extracted_at,
        product ->> 'sku' as sku,
        service ->> 'type_id' as type_id,
        service -> 'accrued' ->> 'amount' as amount,
        product_number * 1000 + service_number as charge_number
    from source
    cross join lateral jsonb_array_elements(coalesce(source.payload -> 'posting' -> 'products', '[]'::jsonb))
        with ordinality as products(product, product_number)
    cross join lateral jsonb_array_elements(coalesce(product -> 'delivery' -> 'services', '[]'::jsonb))
        with ordinality as services(service, service_number)

),

item_fees as (

    select
        source.account_id,
        source.payload,
        source.extracted_at,
        item ->> 'sku' as sku,
        fee ->> 'type_id' as type_id,
        fee -> 'accrued' ->> 'amount' as amount,
        100000 + item_number * 1000 + fee_number as charge_number
    from source
    cross join lateral jsonb_array_elements(coalesce(source.payload -> 'item_fees' -> 'fees', '[]'::jsonb))
        with ordinality as items(item, item_number)
    cross join lateral jsonb_array_elements(coalesce(item -> 'fees', '[]'::jsonb))
        with ordinality as fees(fee, fee_number)

),

non_item as (

    select
        account_id,
        payload,
        extracted_at,
        null::text as sku,
        payload -> 'non_item_fee' ->> 'type_id' as type_id,
        payload -> 'non_item_fee' -> 'accrued' ->> 'amount' as amount,
        0::bigint as charge_number
    from source
    where jsonb_typeof(payload -> 'non_item_fee') = 'object'

),

charges as (

    select * from posting_services
    union all
    select * from item_fees
    union all
    select * from non_item

),

renamed as (

    select
        account_id,
        payload ->> 'accrual_id' as accrual_id,
        charge_number,
        (payload ->> 'date')::date as accrual_date,
        payload ->> 'accrued_category' as accrued_category,
        case when payload ->> 'accrued_category' = 'POSTING' then nullif(payload ->> 'unit_number', '') end
            as posting_number,
        {{ order_number("'ozon'", "case when payload ->> 'accrued_category' = 'POSTING' then nullif(payload ->> 'unit_number', '') end") }}
            as order_number,
        nullif(sku, '')::bigint as sku,
        type_id::int as type_id,
        {{ money('amount') }} as amount,
        extracted_at as landed_at

    from charges

)

select * from renamed
