select
    'megamarket' as marketplace,
    account_id,
    report_id,
    'realization' as report_kind,
    period_start,
    period_end,
    published_on,
    seller_inn,
    seller_name,
    total_sales as stated_net_sales,
    total_payout as stated_payout
from {{ ref('stg_megamarket__reports') }}
