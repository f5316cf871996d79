{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'posting_number']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('ozon', 'ozon_postings_fbs') }}

),

renamed as (

    select
        account_id,
        payload ->> 'posting_number' as posting_number,
        coalesce(
            nullif(payload ->> 'order_number', ''), {{ order_number("'ozon'", "payload ->> 'posting_number'") }}
        ) as order_number,
        (payload ->> 'order_id')::bigint as order_id,
        lower(coalesce(nullif(payload ->> 'delivery_schema', ''), 'fbs')) as scheme,
        payload ->> 'status' as status,
        nullif(payload ->> 'substatus', '') as substatus,
        {{ iso_time("payload ->> 'in_process_at'") }} as created_at,
        {{ iso_time("payload ->> 'shipment_date'") }} as ship_by,
        {{ iso_time("payload ->> 'delivering_date'") }} as delivering_at,
        coalesce(
            (payload -> 'delivery_method' ->> 'warehouse_id')::bigint,
            (payload -> 'analytics_data' ->> 'warehouse_id')::bigint
        ) as warehouse_id,
        coalesce(payload -> 'delivery_method' ->> 'warehouse', payload -> 'analytics_data' ->> 'warehouse')
            as warehouse_name,
        nullif((payload -> 'cancellation' ->> 'cancel_reason_id')::bigint, 0) as cancel_reason_id,
        nullif(payload -> 'cancellation' ->> 'cancellation_initiator', '') as cancellation_initiator,
        payload -> 'products' as products,
        payload -> 'financial_data' -> 'products' as financial_products,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
