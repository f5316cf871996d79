select
    'ozon' as marketplace,
    account_id,
    report_id,
    'realization' as report_kind,
    period_start,
    period_end,
    published_on,
    seller_inn,
    seller_name,
    null::numeric as stated_net_sales,
    null::numeric as stated_payout
from {{ ref('stg_ozon__realization_reports') }}
