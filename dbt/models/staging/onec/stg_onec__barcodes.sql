with

source as (

    {{ latest_version('onec', 'onec_barcodes') }}

),

renamed as (

    select
        account_id as onec_base_id,
        payload ->> 'Штрихкод' as barcode,
        {{ onec_ref("payload ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("payload ->> 'Характеристика_Key'") }} as characteristic_ref,
        {{ onec_ref("payload ->> 'Упаковка_Key'") }} as package_ref,
        (context ->> 'observed_at')::timestamptz as observed_at,
        extracted_at as landed_at

    from source

)

select * from renamed
