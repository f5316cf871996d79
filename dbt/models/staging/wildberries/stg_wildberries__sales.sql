{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'sale_id'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'sale_id']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Sales (saleID S…) and returns (R…) from the statistics API; a return carries negative amounts. -#}
with

source as (

    {{ latest_version('wildberries', 'wildberries_sales') }}

),

renamed as (

    select
        account_id,
        payload ->> 'saleID' as sale_id,
        payload ->> 'srid' as order_number,
        case when payload ->> 'saleID' like 'R%' then 'return' else 'sale' end as operation,
        payload ->> 'supplierArticle' as offer_id,
        (payload ->> 'nmId')::bigint as nm_id,
        {{ money("payload ->> 'priceWithDisc'") }} as price,
        {{ money("payload ->> 'forPay'") }} as for_pay,
        (nullif(payload ->> 'date', '')::timestamp at time zone 'Europe/Moscow') as sold_at,
        payload ->> 'warehouseName' as warehouse_name,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
