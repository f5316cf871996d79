{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'customer_order_ref'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['onec_base_id', 'customer_order_ref']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('onec', 'onec_customer_orders') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as customer_order_ref,
        payload ->> 'Number' as document_number,
        {{ onec_time("payload ->> 'Date'") }} as document_at,
        nullif(trim(payload ->> 'НомерПоДаннымКлиента'), '') as client_order_number,
        {{ onec_time("payload ->> 'ДатаПоДаннымКлиента'") }} as client_order_at,
        {{ onec_ref("payload ->> 'Организация_Key'") }} as organization_ref,
        {{ onec_ref("payload ->> 'Партнер_Key'") }} as partner_ref,
        {{ onec_ref("payload ->> 'Контрагент_Key'") }} as counterparty_ref,
        {{ onec_ref("payload ->> 'Склад_Key'") }} as warehouse_ref,
        payload ->> 'Статус' as order_status,
        payload ->> 'ХозяйственнаяОперация' as business_operation,
        {{ money("payload ->> 'СуммаДокумента'") }} as document_amount,
        coalesce((payload ->> 'ЦенаВключаетНДС')::boolean, true) as price_includes_vat,
        coalesce((payload ->> 'Posted')::boolean, false) as is_posted,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        payload ->> 'Комментарий' as comment,
        payload ->> 'DataVersion' as data_version,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
