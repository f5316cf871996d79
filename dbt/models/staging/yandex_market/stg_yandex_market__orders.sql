{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'order_id'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'order_id']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('yandex_market', 'yandex_market_orders') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'orderId')::bigint as order_id,
        (payload ->> 'orderId') as order_number,
        (payload ->> 'campaignId')::bigint as campaign_id,
        lower(payload ->> 'programType') as scheme,
        payload ->> 'status' as status,
        payload ->> 'substatus' as substatus,
        {{ iso_time("payload ->> 'creationDate'") }} as created_at,
        {{ iso_time("payload ->> 'updateDate'") }} as updated_at,
        nullif(payload -> 'delivery' -> 'shipment' ->> 'shipmentDate', '')::date as shipment_date,
        nullif(payload -> 'delivery' -> 'dates' ->> 'realDeliveryDate', '')::date as delivered_on,
        payload -> 'delivery' ->> 'warehouseId' as warehouse_id,
        {{ money("payload -> 'prices' -> 'payment' ->> 'value'") }} as payment_amount,
        coalesce((payload ->> 'fake')::boolean, false) as is_fake,
        payload -> 'items' as items,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
