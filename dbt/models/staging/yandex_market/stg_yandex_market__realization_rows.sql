{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'report_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'report_row_key']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Goods-realization report rows, one per (sheet, order, SKU, occurrence). The sheet says what the row is:
    delivered (a sale), returned, unredeemed, transferred_to_delivery, lost_items. Money in roubles. -#}
with

source as (

    {{ latest_version('yandex_market', 'yandex_market_realization_rows') }}

),

renamed as (

    select
        account_id,
        natural_key as report_row_key,
        coalesce((context ->> 'campaignId')::bigint, split_part(natural_key, ':', 1)::bigint) as campaign_id,
        coalesce(context ->> 'period', split_part(natural_key, ':', 2)) as report_month,
        coalesce(context ->> 'sheet', split_part(natural_key, ':', 3)) as sheet,
        (payload ->> 'orderId') as order_number,
        nullif(payload ->> 'yourOrderId', '') as seller_order_number,
        coalesce(nullif(payload ->> 'yourSku', ''), payload ->> 'shopSku') as offer_id,
        payload ->> 'offerName' as offer_name,
        lower(payload ->> 'orderType') as scheme,
        coalesce(
            (payload ->> 'deliveredCount')::int, (payload ->> 'transferredToDeliveryCount')::int
        ) as delivered_quantity,
        (payload ->> 'returnedCount')::int as returned_quantity,
        (payload ->> 'unredeemedCount')::int as unredeemed_quantity,
        {{ money("payload ->> 'deliveredPriceSumWithVatAndDiscounts'") }} as delivered_amount,
        {{ money("payload ->> 'returnPriceSumWithVatAndDiscounts'") }} as returned_amount,
        {{ money("payload ->> 'priceWithVatAndAllDiscounts'") }} as unit_price,
        payload ->> 'vat' as vat_rate,
        nullif(payload ->> 'deliveryDate', '')::date as delivered_on,
        nullif(payload ->> 'returnWarehouseOrScAcceptDate', '')::date as returned_on,
        nullif(payload ->> 'orderCreationDate', '')::date as order_created_on,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
