with

source as (

    {{ latest_version('onec', 'onec_products') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as product_ref,
        payload ->> 'Code' as product_code,
        payload ->> 'Description' as product_name,
        nullif(trim(payload ->> 'Артикул'), '') as article,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        payload ->> 'DataVersion' as data_version,
        extracted_at as landed_at

    from source

)

select * from renamed
