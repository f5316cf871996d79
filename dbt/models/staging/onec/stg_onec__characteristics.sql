with

source as (

    {{ latest_version('onec', 'onec_characteristics') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as characteristic_ref,
        {{ onec_ref("payload ->> 'Owner_Key'") }} as owner_ref,
        payload ->> 'Description' as characteristic_name,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
