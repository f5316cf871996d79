with

source as (

    {{ latest_version('onec', 'onec_counterparties') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as counterparty_ref,
        {{ onec_ref("payload ->> 'Партнер_Key'") }} as partner_ref,
        payload ->> 'Description' as counterparty_name,
        nullif(trim(payload ->> 'ИНН'), '') as inn,
        nullif(trim(payload ->> 'КПП'), '') as kpp,
        payload ->> 'ЮридическоеФизическоеЛицо' as entity_kind,
        coalesce((payload ->> 'IsFolder')::boolean, false) as is_folder,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
