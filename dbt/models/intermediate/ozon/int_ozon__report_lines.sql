{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          indexes=[{'columns': ['report_line_id']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Ozon realization rows in the shared report-line shape. Money is signed from the seller's side: sales +,
    returns -, commission - on a sale and + (refunded) on a return; logistics is what the row's payout retains
    besides the commission. Ozon's realization report has no penalty, storage or acquiring rows. -#}
with

rows as (

    select * from {{ ref('stg_ozon__realization_rows') }}
    {{ only_new_or_of_changed_reports(ref('stg_ozon__realization_reports')) }}

),

reports as (

    select * from {{ ref('stg_ozon__realization_reports') }}

),

signed as (

    select
        rows.*,
        reports.period_start,
        reports.period_end,
        reports.published_on,
        reports.landed_at as report_landed_at,
        case when operation = 'sale' then amount else 0 end as sales_amount,
        case when operation = 'return' then -amount else 0 end as returns_amount,
        case when operation = 'sale' then -commission else commission end as commission_amount
    from rows
    left join reports on reports.account_id = rows.account_id and reports.report_id = rows.report_id

),

final as (

    select
        'ozon:' || account_id || ':' || report_row_key as report_line_id,
        'ozon' as marketplace,
        account_id,
        report_id,
        period_start,
        period_end,
        published_on,
        row_number as line_number,
        order_number,
        posting_number,
        offer_id,
        operation as operation_type,
        operation as vendor_operation,
        quantity,
        sales_amount,
        returns_amount,
        commission_amount,
        payout - sales_amount - returns_amount - commission_amount as logistics_amount,
        0::numeric as penalty_amount,
        0::numeric as storage_amount,
        0::numeric as acquiring_amount,
        0::numeric as other_amount,
        payout as payout_amount,
        operation_date,
        greatest(landed_at, report_landed_at) as landed_at

    from signed

)

select * from final
