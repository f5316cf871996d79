{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'customer_order_ref'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['onec_base_id', 'customer_order_ref']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- The Товары tabular section of ЗаказКлиента, one row per line (same raw table as stg_onec__customer_orders). -#}
with

source as (

    {{ latest_version('onec', 'onec_customer_orders') }}

),

lines as (

    select source.account_id, source.payload, source.extracted_at, source.raw_id, line.value as line
    from source
    cross join lateral jsonb_array_elements(coalesce(source.payload -> 'Товары', '[]'::jsonb)) as line

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as customer_order_ref,
        (line ->> 'LineNumber')::int as line_number,
        {{ onec_ref("line ->> 'Номенклатура_Key'") }} as product_ref,
        {{ onec_ref("line ->> 'Характеристика_Key'") }} as characteristic_ref,
        {{ onec_ref("line ->> 'Склад_Key'") }} as warehouse_ref,
        (line ->> 'Количество')::numeric as quantity,
        {{ money("line ->> 'Цена'") }} as price,
        {{ money("line ->> 'Сумма'") }} as amount,
        {{ money("line ->> 'СуммаНДС'") }} as vat_amount,
        coalesce((line ->> 'Отменено')::boolean, false) as is_cancelled,
        line ->> 'ВариантОбеспечения' as provision,
        extracted_at as landed_at,
        raw_id

    from lines

)

select * from renamed
