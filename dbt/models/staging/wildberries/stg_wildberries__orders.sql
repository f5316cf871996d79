{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'order_number'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'order_number']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Orders of every scheme from the statistics API; one srid is one unit. Dates are Moscow time without an
    offset. -#}
with

source as (

    {{ latest_version('wildberries', 'wildberries_orders') }}

),

renamed as (

    select
        account_id,
        payload ->> 'srid' as order_number,
        payload ->> 'gNumber' as basket_number,
        payload ->> 'supplierArticle' as offer_id,
        (payload ->> 'nmId')::bigint as nm_id,
        payload ->> 'barcode' as barcode,
        {{ money("payload ->> 'priceWithDisc'") }} as price,
        {{ money("payload ->> 'totalPrice'") }} as list_price,
        coalesce((payload ->> 'isCancel')::boolean, false) as is_cancelled,
        (nullif(payload ->> 'cancelDate', '0001-01-01T00:00:00')::timestamp at time zone 'Europe/Moscow')
            as cancelled_at,
        (nullif(payload ->> 'date', '')::timestamp at time zone 'Europe/Moscow') as created_at,
        payload ->> 'warehouseName' as warehouse_name,
        case when payload ->> 'warehouseType' = 'Склад продавца' then 'fbs' else 'fbo' end as scheme,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
