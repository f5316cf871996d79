{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'shipment_id'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'shipment_id']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('megamarket', 'megamarket_shipments') }}

),

renamed as (

    select
        account_id,
        payload ->> 'shipmentId' as shipment_id,
        payload ->> 'shipmentId' as order_number,
        payload ->> 'status' as status,
        {{ iso_time("payload ->> 'creationDate'") }} as created_at,
        {{ iso_time("payload ->> 'shippingTimeLimit'") }} as ship_by,
        {{ iso_time("payload ->> 'deliveryDate'") }} as delivery_at,
        payload ->> 'shippingPoint' as warehouse_id,
        payload ->> 'deliveryId' as delivery_id,
        {{ money("payload ->> 'depositedAmount'") }} as deposited_amount,
        payload -> 'items' as items,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
