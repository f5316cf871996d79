with

sellers as (

    select account_id, report_id, min(seller_inn) as seller_inn
    from {{ ref('stg_wildberries__realization_rows') }}
    where seller_inn <> ''
    group by 1, 2

)

select
    'wildberries' as marketplace,
    reports.account_id,
    reports.report_id,
    'realization' as report_kind,
    reports.period_start,
    reports.period_end,
    reports.published_on,
    sellers.seller_inn,
    reports.seller_name,
    reports.total_net_sales as stated_net_sales,
    reports.total_payout as stated_payout
from {{ ref('stg_wildberries__realization_reports') }} as reports
left join sellers on sellers.account_id = reports.account_id and sellers.report_id = reports.report_id
