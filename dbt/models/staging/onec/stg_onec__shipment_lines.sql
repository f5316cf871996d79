{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'shipment_ref'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['onec_base_id', 'shipment_ref']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- The Товары tabular section of РеализацияТоваровУслуг, one row per line (same raw table as stg_onec__shipments). -#}
with

source as (

    {{ latest_version('onec', 'onec_shipments') }}

),

lines as (

    select source.account_id, source.payload, source.extracted_at, source.raw_id, line.value as line
    from source
    cross join lateral jsonb_array_elements(coalesce(source.payload -> 'Товары', '[]'::jsonb)) as line

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as shipment_ref,
        (line ->> 'LineNumber')::int as line_number,
        coalesce({{ onec_ref("line ->> 'ЗаказКлиента'") }}, {{ onec_ref("payload ->> 'ЗаказКлиента'") }})
            as customer_order_ref,
        {{ onec_ref("line ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("line ->> 'Характеристика_Key'") }} as characteristic_ref,
        {{ onec_ref("line ->> 'Склад_Key'") }} as warehouse_ref,
        (line ->> 'Количество')::numeric as quantity,
        {{ money("line ->> 'Цена'") }} as price,
        {{ money("line ->> 'Сумма'") }} as amount,
        {{ money("line ->> 'СуммаНДС'") }} as vat_amount,
        extracted_at as landed_at,
        raw_id

    from lines

)

select * from renamed
