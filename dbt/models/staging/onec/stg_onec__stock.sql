with

source as (

    {{ latest_version('onec', 'onec_stock') }}

),

renamed as (

    select
        account_id as onec_base_id,
        natural_key as stock_key,
        {{ onec_ref("payload ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("payload ->> 'Характеристика_Key'") }} as characteristic_ref,
        {{ onec_ref("payload ->> 'Склад_Key'") }} as warehouse_ref,
        {{ onec_ref("payload ->> 'Назначение_Key'") }} as purpose_ref,
        {{ onec_ref("payload ->> 'Помещение_Key'") }} as room_ref,
        {{ onec_ref("payload ->> 'Серия_Key'") }} as series_ref,
        (payload ->> 'ВНаличииBalance')::numeric as quantity_in_stock,
        (payload ->> 'КОтгрузкеBalance')::numeric as quantity_to_ship,
        (context ->> 'observed_at')::timestamptz as observed_at,
        extracted_at as landed_at

    from source

)

select * from renamed
