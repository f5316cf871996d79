with

source as (

    {{ latest_version('onec', 'onec_storage_cells') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as cell_ref,
        {{ onec_ref("payload ->> 'Owner_Key'") }} as warehouse_ref,
        payload ->> 'Code' as cell_code,
        payload ->> 'Description' as cell_name,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
