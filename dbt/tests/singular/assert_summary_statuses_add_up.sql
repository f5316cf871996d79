{#- Every reconciliation status has its own <status>_lines column in reconciliation_summary: the columns add up to
    order_lines, and unmapped_product_lines counts exactly the summary row's unmapped_product lines. -#}
{%- set statuses = ['matched', 'amount_mismatch', 'quantity_mismatch', 'awaiting_report', 'missing_in_report',
    'reported_not_shipped', 'returned', 'return_not_received', 'duplicate_in_report', 'cancelled_but_reported',
    'unmapped_product'] %}
with

lines as (

    select account_id, report_id, count(*) filter (where status = 'unmapped_product') as unmapped_product_lines
    from {{ ref('reconciliation_order_lines') }}
    group by 1, 2

)

select summary.*
from {{ ref('reconciliation_summary') }} as summary
left join lines
    on lines.account_id is not distinct from summary.account_id
    and lines.report_id is not distinct from summary.report_id
where summary.order_lines <> {% for status in statuses %}summary.{{ status }}_lines{{ ' + ' if not loop.last }}{% endfor %}
    or summary.unmapped_product_lines <> coalesce(lines.unmapped_product_lines, 0)
