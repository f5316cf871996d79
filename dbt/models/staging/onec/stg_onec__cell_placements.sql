with

source as (

    {{ latest_version('onec', 'onec_cell_placements') }}

),

renamed as (

    select
        account_id as onec_base_id,
        natural_key as placement_key,
        {{ onec_ref("payload ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("payload ->> 'Склад_Key'") }} as warehouse_ref,
        {{ onec_ref("payload ->> 'Помещение_Key'") }} as room_ref,
        {{ onec_ref("payload ->> 'Ячейка_Key'") }} as cell_ref,
        coalesce((payload ->> 'ОсновнаяЯчейка')::boolean, false) as is_main_cell,
        (context ->> 'observed_at')::timestamptz as observed_at,
        extracted_at as landed_at

    from source

)

select * from renamed
