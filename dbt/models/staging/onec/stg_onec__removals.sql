with

source as (

    {{ latest_version('onec', 'onec_removals') }}

),

renamed as (

    select
        account_id as onec_base_id,
        payload ->> 'entity' as entity,
        payload ->> 'key' as object_key,
        payload ->> 'last_version' as last_version,
        coalesce((payload ->> 'removed')::boolean, true) as is_removed,
        extracted_at as landed_at

    from source

)

select * from renamed
