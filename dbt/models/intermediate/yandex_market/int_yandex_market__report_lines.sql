{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          on_schema_change='append_new_columns', indexes=[{'columns': ['report_line_id']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Goods-realization rows in the shared report-line shape: the delivered sheet is the sale, the returned sheet
    the return (money signed from the seller's side); the other sheets (transferred_to_delivery, unredeemed,
    lost_items) carry no money of their own and are kept as 'other'. The realization report holds no
    commission: Market bills its services in the united marketplace services report, whose rows join here as
    lines of their own report ('services:<month>'), one per service charge, typed by the service
    (commission, logistics, acquiring, storage, other) and signed from the seller's side (a charge -, a
    refund +). -#}
with

rows as (

    select * from {{ ref('stg_yandex_market__realization_rows') }}
    {{ only_new() }}

),

typed as (

    select
        rows.*,
        case sheet when 'delivered' then 'sale' when 'returned' then 'return' else 'other' end as operation
    from rows

),

services as (

    select * from {{ ref('stg_yandex_market__service_rows') }}
    {{ only_new() }}

),

realization_lines as (

    select
        'yandex_market:' || account_id || ':' || report_row_key as report_line_id,
        'yandex_market' as marketplace,
        account_id,
        campaign_id || ':' || report_month as report_id,
        to_date(report_month, 'YYYY-MM') as period_start,
        (to_date(report_month, 'YYYY-MM') + interval '1 month' - interval '1 day')::date as period_end,
        null::date as published_on,
        null::int as line_number,
        order_number,
        order_number as posting_number,
        offer_id,
        operation as operation_type,
        sheet as vendor_operation,
        case operation
            when 'sale' then delivered_quantity
            when 'return' then returned_quantity
            else 0
        end as quantity,
        case when operation = 'sale' then coalesce(delivered_amount, 0) else 0 end as sales_amount,
        case when operation = 'return' then -coalesce(returned_amount, 0) else 0 end as returns_amount,
        0::numeric as commission_amount,
        0::numeric as logistics_amount,
        0::numeric as penalty_amount,
        0::numeric as storage_amount,
        0::numeric as acquiring_amount,
        0::numeric as other_amount,
        case operation
            when 'sale' then coalesce(delivered_amount, 0)
            when 'return' then -coalesce(returned_amount, 0)
            else 0
        end as payout_amount,
        case when operation = 'return' then returned_on else delivered_on end as operation_date,
        landed_at,
        0::numeric as acceptance_amount,
        0::numeric as deduction_amount,
        0::numeric as last_mile_amount

    from typed

),

service_lines as (

    select
        'yandex_market:' || account_id || ':services:' || service_row_key as report_line_id,
        'yandex_market' as marketplace,
        account_id,
        'services:' || service_month as report_id,
        to_date(service_month, 'YYYY-MM') as period_start,
        (to_date(service_month, 'YYYY-MM') + interval '1 month' - interval '1 day')::date as period_end,
        act_date as published_on,
        null::int as line_number,
        order_number,
        order_number as posting_number,
        offer_id,
        service_type as operation_type,
        sheet as vendor_operation,
        0 as quantity,
        0::numeric as sales_amount,
        0::numeric as returns_amount,
        case when service_type = 'commission' then -service_amount else 0 end as commission_amount,
        case when service_type = 'logistics' then -service_amount else 0 end as logistics_amount,
        0::numeric as penalty_amount,
        case when service_type = 'storage' then -service_amount else 0 end as storage_amount,
        case when service_type = 'acquiring' then -service_amount else 0 end as acquiring_amount,
        case when service_type = 'other' then -service_amount else 0 end as other_amount,
        -service_amount as payout_amount,
        service_date as operation_date,
        landed_at,
        0::numeric as acceptance_amount,
        0::numeric as deduction_amount,
        0::numeric as last_mile_amount

    from services

),

final as (

    select * from realization_lines
    union all
    select * from service_lines

)

select * from final
