{#- WB realization reports with the cabinet's seller. The seller's ИНН comes from the connection when it names
    one, else from common-api seller-info (tin) — never from the rows' ppvzSupplierInn, which is the pickup
    point's partner (WB 13-finances: «ИНН партнёра»; docs/vendors/wildberries.md). stated_payout is the
    vendor's stated total, bankPaymentSum «Итого к оплате». -#}
with

sellers as (

    select account_id, coalesce(connection_inn, seller_inn) as seller_inn, seller_name
    from {{ ref('stg_wildberries__seller_info') }}

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
    coalesce(reports.seller_name, sellers.seller_name) as seller_name,
    reports.total_net_sales as stated_net_sales,
    reports.total_payout as stated_payout
from {{ ref('stg_wildberries__realization_reports') }} as reports
left join sellers on sellers.account_id = reports.account_id
