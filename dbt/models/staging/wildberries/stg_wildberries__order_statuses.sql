with

source as (

    {{ latest_version('wildberries', 'wildberries_order_statuses') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as assembly_id,
        payload ->> 'supplierStatus' as supplier_status,
        payload ->> 'wbStatus' as wb_status,
        extracted_at as landed_at

    from source

)

select * from renamed
