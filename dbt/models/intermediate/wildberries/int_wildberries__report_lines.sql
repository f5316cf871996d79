{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          on_schema_change='append_new_columns', indexes=[{'columns': ['report_line_id']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Realization report rows in the shared report-line shape, money signed from the seller's side: a sale adds
    forPay (sales +, commission -), a return takes it back (returns -, commission +); every charge comes from its
    own field whatever the row's operation is called (13-finances DetailReportItem, docs/vendors/wildberries.md):
    logistics (deliveryService), penalties, storage (paidStorage), acceptance (paidAcceptance), deductions (ads,
    subscriptions), acquiring, and in other_amount the rebilled logistics (rebillLogisticCost, −), WB's
    reward corrections (additionalPayment, +) and the loyalty programme (cashbackDiscount +, cashbackAmount −,
    cashbackCommissionChange −) [?: WB does not state how these enter bankPaymentSum; the summary shows any
    difference from it]. Whatever forPay holds beyond sales and commission also lands in other_amount. -#}
with

rows as (

    select * from {{ ref('stg_wildberries__realization_rows') }}
    {{ only_new_or_of_changed_reports(ref('stg_wildberries__realization_reports')) }}

),

reports as (

    select * from {{ ref('stg_wildberries__realization_reports') }}

),

typed as (

    select
        rows.*,
        reports.period_start,
        reports.period_end,
        reports.published_on,
        reports.landed_at as report_landed_at,
        case
            when rows.vendor_operation = 'Продажа' or rows.document_type = 'Продажа' then 'sale'
            when rows.vendor_operation = 'Возврат' or rows.document_type = 'Возврат' then 'return'
            when coalesce(rows.logistics, 0) <> 0 or rows.vendor_operation = 'Логистика' then 'logistics'
            when coalesce(rows.penalty, 0) <> 0 or rows.vendor_operation = 'Штраф' then 'penalty'
            when coalesce(rows.storage, 0) <> 0 or rows.vendor_operation = 'Хранение' then 'storage'
            when coalesce(rows.acceptance, 0) <> 0 then 'acceptance'
            when coalesce(rows.deduction, 0) <> 0 then 'deduction'
            when coalesce(rows.acquiring, 0) <> 0 or rows.vendor_operation = 'Эквайринг' then 'acquiring'
            else 'other'
        end as operation_type
    from rows
    left join reports on reports.account_id = rows.account_id and reports.report_id = rows.report_id

),

parts as (

    select
        typed.*,
        case when operation_type = 'sale' then coalesce(retail_amount, 0) else 0 end as sales_part,
        case when operation_type = 'return' then -coalesce(retail_amount, 0) else 0 end as returns_part,
        case
            when operation_type = 'sale' then -coalesce(commission, 0)
            when operation_type = 'return' then coalesce(commission, 0)
            else 0
        end as commission_part,
        case
            when operation_type = 'sale' then coalesce(for_pay, 0)
            when operation_type = 'return' then -coalesce(for_pay, 0)
            else 0
        end
        - coalesce(logistics, 0) - coalesce(penalty, 0) - coalesce(storage, 0) - coalesce(acquiring, 0)
        - coalesce(acceptance, 0) - coalesce(deduction, 0) - coalesce(rebill_logistics, 0)
        + coalesce(additional_payment, 0) + coalesce(cashback_discount, 0) - coalesce(cashback_amount, 0)
        - coalesce(cashback_commission_change, 0) as payout_part
    from typed

),

final as (

    select
        'wildberries:' || account_id || ':' || report_row_key as report_line_id,
        'wildberries' as marketplace,
        account_id,
        report_id,
        period_start,
        period_end,
        published_on,
        rrd_id::int as line_number,
        order_number,
        order_number as posting_number,
        offer_id,
        operation_type,
        vendor_operation,
        coalesce(quantity, 0) as quantity,
        sales_part as sales_amount,
        returns_part as returns_amount,
        commission_part as commission_amount,
        -coalesce(logistics, 0) as logistics_amount,
        -coalesce(penalty, 0) as penalty_amount,
        -coalesce(storage, 0) as storage_amount,
        -coalesce(acquiring, 0) as acquiring_amount,
        payout_part - sales_part - returns_part - commission_part + coalesce(logistics, 0) + coalesce(penalty, 0)
            + coalesce(storage, 0) + coalesce(acquiring, 0) + coalesce(acceptance, 0) + coalesce(deduction, 0)
            as other_amount,
        payout_part as payout_amount,
        (operation_at at time zone 'Europe/Moscow')::date as operation_date,
        greatest(landed_at, report_landed_at) as landed_at,
        -coalesce(acceptance, 0) as acceptance_amount,
        -coalesce(deduction, 0) as deduction_amount,
        0::numeric as last_mile_amount

    from parts

)

select * from final
