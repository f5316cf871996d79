with

source as (

    {{ latest_version('onec', 'onec_organizations') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as organization_ref,
        payload ->> 'Description' as organization_name,
        payload ->> 'НаименованиеПолное' as organization_full_name,
        nullif(trim(payload ->> 'ИНН'), '') as inn,
        nullif(trim(payload ->> 'КПП'), '') as kpp,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        context ->> 'legal_entity_id' as legal_entity_id,
        extracted_at as landed_at

    from source

)

select * from renamed
