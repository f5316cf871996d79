{#- Yandex Market reports have no header of their own: a (campaign, month) with realization rows is a published
    realization report; a month with service charges is that month's services report ('services:<month>'). -#}
select distinct
    'yandex_market' as marketplace,
    account_id,
    report_id,
    case when report_id like 'services:%' then 'services' else 'realization' end as report_kind,
    period_start,
    period_end,
    null::date as published_on,
    null::text as seller_inn,
    null::text as seller_name,
    null::numeric as stated_net_sales,
    null::numeric as stated_payout
from {{ ref('int_yandex_market__report_lines') }}
