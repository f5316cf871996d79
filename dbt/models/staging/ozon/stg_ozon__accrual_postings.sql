{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Ozon's accruals per posting (/v1/finance/accrual/postings, docs/vendors/ozon.md), one row per accrual of the
    posting's latest answer: type (the sale commission is type 69 here), SKU, the quantity and unit seller_price
    that by-day does not carry, and the amount signed as Ozon sends it (a charge is negative), roubles. The money
    is the same as by-day's (stg_ozon__accruals), so the report lines take their charges from by-day only; this
    model gives the units per posting and SKU. -#}
with

source as (

    {{ latest_version('ozon', 'ozon_accrual_postings') }}

),

accruals as (

    select
        source.account_id,
        source.payload ->> 'posting_number' as posting_number,
        accrual_number,
        accrual,
        source.extracted_at
    from source
    cross join lateral jsonb_array_elements(coalesce(source.payload -> 'accruals', '[]'::jsonb))
        with ordinality as accruals(accrual, accrual_number)

),

renamed as (

    select
        account_id,
        posting_number,
        {{ order_number("'ozon'", 'posting_number') }} as order_number,
        accrual_number,
        (accrual ->> 'accrual_date')::date as accrual_date,
        (accrual ->> 'type_id')::int as type_id,
        nullif(accrual ->> 'sku', '')::bigint as sku,
        (accrual ->> 'quantity')::int as quantity,
        {{ money("accrual -> 'seller_price' ->> 'amount'") }} as seller_price,
        {{ money("accrual -> 'accrued' ->> 'amount'") }} as amount,
        extracted_at as landed_at

    from accruals

)

select * from renamed
