with

source as (

    {{ latest_version('onec', 'onec_prices') }}

),

renamed as (

    select
        account_id as onec_base_id,
        natural_key as price_key,
        {{ onec_ref("payload ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("payload ->> 'Характеристика_Key'") }} as characteristic_ref,
        {{ onec_ref("payload ->> 'ВидЦены_Key'") }} as price_type_ref,
        {{ money("payload ->> 'Цена'") }} as price,
        {{ onec_time("payload ->> 'Period'") }} as valid_from,
        (context ->> 'observed_at')::timestamptz as observed_at,
        extracted_at as landed_at

    from source

)

select * from renamed
