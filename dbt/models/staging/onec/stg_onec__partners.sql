with

source as (

    {{ latest_version('onec', 'onec_partners') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as partner_ref,
        payload ->> 'Code' as partner_code,
        payload ->> 'Description' as partner_name,
        payload ->> 'НаименованиеПолное' as partner_full_name,
        coalesce((payload ->> 'Клиент')::boolean, false) as is_client,
        coalesce((payload ->> 'IsFolder')::boolean, false) as is_folder,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
