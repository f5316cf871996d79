{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          on_schema_change='append_new_columns', indexes=[{'columns': ['report_line_id']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Commission report rows in the shared report-line shape, money signed from the seller's side: sales +,
    returns -, commission - on a sale and + (refunded) on a return, logistics and penalties -. Whatever the
    payout holds beyond these parts lands in other_amount. -#}
with

rows as (

    select * from {{ ref('stg_megamarket__report_rows') }}
    {{ only_new_or_of_changed_reports(ref('stg_megamarket__reports')) }}

),

reports as (

    select * from {{ ref('stg_megamarket__reports') }}

),

signed as (

    select
        rows.*,
        reports.period_start,
        reports.period_end,
        reports.published_on,
        reports.landed_at as report_landed_at,
        case rows.vendor_operation
            when 'Продажа' then 'sale'
            when 'Возврат' then 'return'
            when 'Штраф' then 'penalty'
            when 'Логистика' then 'logistics'
            when 'Хранение' then 'storage'
            else 'other'
        end as operation_type
    from rows
    left join reports on reports.account_id = rows.account_id and reports.report_id = rows.report_id

),

parts as (

    select
        signed.*,
        case when operation_type = 'sale' then coalesce(sales_amount, 0) else 0 end as sales_part,
        case when operation_type = 'return' then -abs(coalesce(sales_amount, 0)) else 0 end as returns_part,
        case when operation_type = 'return' then coalesce(commission, 0) else -coalesce(commission, 0) end
            as commission_part,
        -coalesce(logistics, 0) as logistics_part,
        -coalesce(penalty, 0) as penalty_part
    from signed

),

final as (

    select
        'megamarket:' || account_id || ':' || report_row_key as report_line_id,
        'megamarket' as marketplace,
        account_id,
        report_id,
        period_start,
        period_end,
        published_on,
        row_number as line_number,
        order_number,
        shipment_id as posting_number,
        offer_id,
        operation_type,
        vendor_operation,
        abs(quantity) as quantity,
        sales_part as sales_amount,
        returns_part as returns_amount,
        commission_part as commission_amount,
        logistics_part as logistics_amount,
        penalty_part as penalty_amount,
        0::numeric as storage_amount,
        0::numeric as acquiring_amount,
        coalesce(payout, 0) - sales_part - returns_part - commission_part - logistics_part - penalty_part
            as other_amount,
        coalesce(payout, 0) as payout_amount,
        operation_date,
        greatest(landed_at, report_landed_at) as landed_at,
        0::numeric as acceptance_amount,
        0::numeric as deduction_amount,
        0::numeric as last_mile_amount

    from parts

)

select * from final
