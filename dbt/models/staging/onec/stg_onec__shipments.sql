{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'shipment_ref'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['onec_base_id', 'shipment_ref']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
with

source as (

    {{ latest_version('onec', 'onec_shipments') }}

),

renamed as (

    select
        account_id as onec_base_id,
        (payload ->> 'Ref_Key')::uuid as shipment_ref,
        payload ->> 'Number' as document_number,
        {{ onec_time("payload ->> 'Date'") }} as shipped_at,
        {{ onec_ref("payload ->> 'ЗаказКлиента'") }} as customer_order_ref,
        {{ onec_ref("payload ->> 'Организация_Key'") }} as organization_ref,
        {{ onec_ref("payload ->> 'Партнер_Key'") }} as partner_ref,
        {{ onec_ref("payload ->> 'Контрагент_Key'") }} as counterparty_ref,
        {{ onec_ref("payload ->> 'Склад_Key'") }} as warehouse_ref,
        payload ->> 'Статус' as shipment_status,
        payload ->> 'ХозяйственнаяОперация' as business_operation,
        {{ money("payload ->> 'СуммаДокумента'") }} as document_amount,
        coalesce((payload ->> 'Posted')::boolean, false) as is_posted,
        coalesce((payload ->> 'DeletionMark')::boolean, false) as is_deleted,
        payload ->> 'DataVersion' as data_version,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
