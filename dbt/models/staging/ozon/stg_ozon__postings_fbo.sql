{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('ozon', 'ozon_postings_fbo') }}

),

renamed as (

    select
        account_id,
        payload ->> 'posting_number' as posting_number,
        coalesce(
            nullif(payload ->> 'order_number', ''), {{ order_number("'ozon'", "payload ->> 'posting_number'") }}
        ) as order_number,
        (payload ->> 'order_id')::bigint as order_id,
        'fbo' as scheme,
        payload ->> 'status' as status,
        {{ iso_time("coalesce(payload ->> 'created_at', payload ->> 'in_process_at')") }} as created_at,
        (payload -> 'analytics_data' ->> 'warehouse_id')::bigint as warehouse_id,
        payload -> 'analytics_data' ->> 'warehouse_name' as warehouse_name,
        nullif((payload ->> 'cancel_reason_id')::bigint, 0) as cancel_reason_id,
        payload -> 'products' as products,
        payload -> 'financial_data' -> 'products' as financial_products,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
