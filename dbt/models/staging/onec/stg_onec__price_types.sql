with

source as (

    {{ latest_version('onec', 'onec_price_types') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as price_type_ref,
        payload ->> 'Code' as price_type_code,
        payload ->> 'Description' as price_type_name,
        coalesce((payload ->> 'ЦенаВключаетНДС')::boolean, true) as price_includes_vat,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        extracted_at as landed_at

    from source

)

select * from renamed
