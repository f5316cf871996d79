{#- Returns rate per marketplace × cabinet × SKU × month (by the report's operation date). -#}
select
    md5(account_id || '|' || coalesce(offer_id, '') || '|' || date_trunc('month', operation_date)::date)
        as returns_rate_id,
    marketplace,
    account_id,
    offer_id,
    min(product_ref::text)::uuid as product_ref,
    date_trunc('month', operation_date)::date as month_start,
    sum(case when operation_type = 'sale' then quantity else 0 end) as units_sold,
    sum(case when operation_type = 'return' then quantity else 0 end) as units_returned,
    round(
        sum(case when operation_type = 'return' then quantity else 0 end)::numeric
        / nullif(sum(case when operation_type = 'sale' then quantity else 0 end), 0),
        4
    ) as returns_rate
from {{ ref('fct_marketplace_transactions') }}
where operation_type in ('sale', 'return') and operation_date is not null
group by marketplace, account_id, offer_id, date_trunc('month', operation_date)::date
