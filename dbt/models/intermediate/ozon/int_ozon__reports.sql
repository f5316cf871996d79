{#- Ozon reports: the monthly realization reports by posting, and one 'accruals:<YYYY-MM>' report per cabinet and
    month of accrual charges (report_kind 'accruals': not the report a sale is due in). The realization header has
    no total since 2025-12-25 (doc_amount removed), so its stated payout is Σ of the rows' totals as Ozon sent
    them (sign by side) [?]: the summary compares it with the identity-computed line payouts. -#}
with

stated as (

    select
        account_id,
        report_id,
        sum(case when operation = 'sale' then amount else -amount end) as stated_net_sales,
        sum(case when operation = 'sale' then abs(payout) else -abs(payout) end) as stated_payout
    from {{ ref('stg_ozon__realization_rows') }}
    group by 1, 2

),

accrual_months as (

    select
        account_id,
        'accruals:' || to_char(accrual_date, 'YYYY-MM') as report_id,
        date_trunc('month', accrual_date)::date as period_start,
        (date_trunc('month', accrual_date) + interval '1 month' - interval '1 day')::date as period_end,
        max(accrual_date) as published_on
    from {{ ref('stg_ozon__accruals') }}
    group by 1, 2, 3, 4

)

select
    'ozon' as marketplace,
    reports.account_id,
    reports.report_id,
    'realization' as report_kind,
    reports.period_start,
    reports.period_end,
    reports.published_on,
    reports.seller_inn,
    reports.seller_name,
    stated.stated_net_sales,
    stated.stated_payout
from {{ ref('stg_ozon__realization_reports') }} as reports
left join stated on stated.account_id = reports.account_id and stated.report_id = reports.report_id

union all

select
    'ozon',
    account_id,
    report_id,
    'accruals',
    period_start,
    period_end,
    published_on,
    null::text,
    null::text,
    null::numeric,
    null::numeric
from accrual_months
