with

source as (

    {{ latest_version('wildberries', 'wildberries_warehouses') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as warehouse_id,
        payload ->> 'name' as warehouse_name,
        (payload ->> 'officeId')::bigint as office_id,
        coalesce((payload ->> 'isDeleting')::boolean, false) as is_deleting,
        extracted_at as landed_at

    from source

)

select * from renamed
