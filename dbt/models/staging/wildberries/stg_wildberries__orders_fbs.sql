{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'assembly_id'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'assembly_id']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- FBS assembly tasks; one task is one unit. Money in kopecks in this API (price 108900 = 1 089 ₽). -#}
with

source as (

    {{ latest_version('wildberries', 'wildberries_orders_fbs') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as assembly_id,
        payload ->> 'rid' as order_number,
        payload ->> 'orderUid' as order_uid,
        payload ->> 'article' as offer_id,
        (payload ->> 'nmId')::bigint as nm_id,
        (payload ->> 'chrtId')::bigint as chrt_id,
        array(select jsonb_array_elements_text(coalesce(payload -> 'skus', '[]'::jsonb))) as barcodes,
        round((payload ->> 'convertedPrice')::numeric / 100, 2) as price,
        (payload ->> 'warehouseId')::bigint as warehouse_id,
        payload ->> 'deliveryType' as scheme,
        {{ iso_time("payload ->> 'createdAt'") }} as created_at,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
