{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'report_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'report_row_key']}],
          post_hook='analyze {{ this }}') }}
{#- Rows of the realization report by posting. A row is a sale (delivery_commission) or a return
    (return_commission); amounts are roubles. ``total`` is what the row adds to the payout, signed from the
    seller's side (negative for a return); what it retains besides the commission is delivery (logistics). -#}
with

source as (

    {{ latest_version('ozon', 'ozon_realization_rows') }}

),

typed as (

    select
        *,
        case when payload -> 'delivery_commission' <> 'null'::jsonb then 'sale' else 'return' end as operation,
        coalesce(
            nullif(payload -> 'delivery_commission', 'null'::jsonb), payload -> 'return_commission'
        ) as block
    from source

),

renamed as (

    select
        account_id,
        natural_key as report_row_key,
        split_part(natural_key, ':', 1) as report_id,
        (payload ->> 'row_number')::int as row_number,
        payload -> 'order' ->> 'posting_number' as posting_number,
        {{ order_number("'ozon'", "payload -> 'order' ->> 'posting_number'") }} as order_number,
        payload -> 'item' ->> 'offer_id' as offer_id,
        (payload -> 'item' ->> 'sku')::bigint as sku,
        nullif(payload -> 'item' ->> 'barcode', '') as barcode,
        payload -> 'item' ->> 'name' as item_name,
        operation,
        (block ->> 'quantity')::int as quantity,
        {{ money("block ->> 'amount'") }} as amount,
        {{ money("block ->> 'standard_fee'") }} as commission,
        {{ money("block ->> 'total'") }} as payout,
        {{ money("block ->> 'price_per_instance'") }} as price_per_instance,
        nullif(payload ->> 'commission_ratio', '')::numeric as commission_ratio,
        nullif(payload -> 'legal_entity_document' ->> 'sale_date', '')::date as operation_date,
        nullif(payload -> 'order' ->> 'created_date', '')::date as order_created_on,
        extracted_at as landed_at,
        raw_id

    from typed

)

select * from renamed
