with

source as (

    {{ latest_version('megamarket', 'megamarket_shipment_statuses') }}

),

renamed as (

    select
        account_id,
        payload ->> 'shipmentId' as shipment_id,
        payload ->> 'status' as status,
        payload ->> 'subStatus' as substatus,
        payload -> 'items' as item_statuses,
        extracted_at as landed_at

    from source

)

select * from renamed
