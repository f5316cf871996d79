{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'service_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'service_row_key']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Rows of the united marketplace services report («Отчёт по стоимости услуг»): what Market charged, one row per
    (month of service, sheet, order, SKU, service identity, occurrence). The sheet says which service it is;
    service_type groups the sheets the way the report lines split money: commission (placement on the
    showcase, resale), logistics (delivery, warehouse and order processing), acquiring (payment acceptance and
    transfer), storage, other (promotion, loyalty, subscriptions...). service_amount is the service's cost to
    the seller in roubles (positive = charged, negative = refunded): TOTAL_AMOUNT on the placement sheet,
    SERVICE_PRICE (or the sheet's own cost column: PAID_STORAGE, FULL_PRICE on the resale sheet, and on the
    boost sheet PREPAID + POSTPAID, the money paid; BONUS_PAID is paid in Market's bonuses and left out [?]) elsewhere
    (every documented sheet has one: tests/contracts/yandex_market). act_date is null until the month's act is formed.
    Dates are cast only when they come as ISO 8601 (the report's date format is not documented); a date-time
    without an offset is Moscow time. -#}
{%- set boost = "case when coalesce(payload ->> 'prepaid', payload ->> 'postpaid') is not null then (coalesce(nullif(payload ->> 'prepaid', '')::numeric, 0) + coalesce(nullif(payload ->> 'postpaid', '')::numeric, 0))::text end" %}
{%- set cost = "coalesce(payload ->> 'totalAmount', payload ->> 'servicePrice', payload ->> 'paidStorage', payload ->> 'fullPrice', " ~ boost ~ ")" %}
with

source as (

    {{ latest_version('yandex_market', 'yandex_market_service_rows') }}

),

renamed as (

    select
        account_id,
        natural_key as service_row_key,
        (context ->> 'businessId')::bigint as business_id,
        coalesce(context ->> 'period', split_part(natural_key, ':', 1)) as service_month,
        coalesce(context ->> 'sheet', split_part(natural_key, ':', 2)) as sheet,
        nullif(payload ->> 'partnerId', '')::bigint as partner_id,
        payload ->> 'placementModel' as placement_model,
        {{ order_number("'yandex_market'", "coalesce(payload ->> 'orderId', payload ->> 'orderNumber')") }} as order_number,
        nullif(coalesce(payload ->> 'shopSku', payload ->> 'sku'), '') as offer_id,
        coalesce(payload ->> 'offerName', payload ->> 'productName') as offer_name,
        coalesce(payload ->> 'serviceName', payload ->> 'service') as service_name,
        nullif(coalesce(payload ->> 'recordType', payload ->> 'type'), '') as record_type,
        nullif(payload ->> 'count', '')::int as quantity,
        {{ money("payload ->> 'tariff'") }} as tariff,
        {{ money("payload ->> 'amountWithoutBonuses'") }} as amount_without_bonuses,
        {{ money(cost) }} as service_amount,
        case
            when payload ->> 'serviceDateTime' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*(Z|[+-]\d{2}(:?\d{2})?)$'
                then (payload ->> 'serviceDateTime')::timestamptz
            when payload ->> 'serviceDateTime' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}'
                then (payload ->> 'serviceDateTime')::timestamp at time zone 'Europe/Moscow'
        end as service_at,
        case when coalesce(payload ->> 'serviceDate', payload ->> 'dateTime') ~ '^\d{4}-\d{2}-\d{2}'
            then left(coalesce(payload ->> 'serviceDate', payload ->> 'dateTime'), 10)::date end as service_day,
        case when payload ->> 'actDate' ~ '^\d{4}-\d{2}-\d{2}' then left(payload ->> 'actDate', 10)::date end as act_date,
        extracted_at as landed_at,
        raw_id

    from source

),

final as (

    select
        account_id,
        service_row_key,
        business_id,
        service_month,
        sheet,
        case
            when sheet in ('placement', 'expropriation') then 'commission'
            when sheet in ('payment_accepting', 'payment_transfer') then 'acquiring'
            when sheet like 'paid_storage%' or sheet = 'storage_of_returns' then 'storage'
            when sheet in (
                'delivery', 'express_delivery', 'delivery_from_abroad', 'intake_logistics', 'order_processing',
                'order_processing_on_warehouse', 'warehouse_processing', 'goods_acceptance',
                'delivery_via_transit_warehouse', 'reception_of_surplus', 'export_from_warehouse'
            ) then 'logistics'
            else 'other'
        end as service_type,
        partner_id,
        placement_model,
        order_number,
        offer_id,
        offer_name,
        service_name,
        record_type,
        quantity,
        tariff,
        amount_without_bonuses,
        service_amount,
        service_at,
        coalesce((service_at at time zone 'Europe/Moscow')::date, service_day) as service_date,
        act_date,
        landed_at,
        raw_id

    from renamed

)

select * from final
