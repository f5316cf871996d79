with

source as (

    {{ latest_version('onec', 'onec_warehouses') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as warehouse_ref,
        payload ->> 'Code' as warehouse_code,
        payload ->> 'Description' as warehouse_name,
        payload ->> 'ТипСклада' as warehouse_type,
        coalesce((payload ->> 'IsFolder')::boolean, false) as is_folder,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
