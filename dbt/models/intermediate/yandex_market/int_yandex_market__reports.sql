{#- Yandex Market reports have no header of their own: a (campaign, month) with rows is a published report. -#}
select distinct
    'yandex_market' as marketplace,
    account_id,
    report_id,
    period_start,
    period_end,
    null::date as published_on,
    null::text as seller_inn,
    null::text as seller_name,
    null::numeric as stated_net_sales,
    null::numeric as stated_payout
from {{ ref('int_yandex_market__report_lines') }}
