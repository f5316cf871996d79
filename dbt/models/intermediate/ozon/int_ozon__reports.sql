select
    'ozon' as marketplace,
    account_id,
    report_id,
    period_start,
    period_end,
    published_on,
    seller_inn,
    seller_name
from {{ ref('stg_ozon__realization_reports') }}
