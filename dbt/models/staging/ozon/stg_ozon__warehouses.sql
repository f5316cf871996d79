with

source as (

    {{ latest_version('ozon', 'ozon_warehouses') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'warehouse_id')::bigint as warehouse_id,
        payload ->> 'name' as warehouse_name,
        payload ->> 'status' as warehouse_status,
        case when coalesce((payload ->> 'is_rfbs')::boolean, false) then 'rfbs' else 'fbs' end as scheme,
        payload ->> 'warehouse_type' as warehouse_type,
        extracted_at as landed_at

    from source

)

select * from renamed
