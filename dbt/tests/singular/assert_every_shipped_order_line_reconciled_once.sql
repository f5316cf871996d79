{#- Every 1C-shipped marketplace order appears in the reconciliation exactly once per product. A cycle checks the
    1C lines it re-read (this_cycle, macros/tests_of_the_cycle.sql); the nightly run checks them all. -#}
{%- set cycle = this_cycle(ref('int_onec_lines_keyed')) %}
with

shipped as (

    select distinct account_id, marketplace, order_number, product_key
    from {{ ref('int_onec_lines_keyed') }}
    where document_kind = 'shipment' and {{ cycle }}

),

reconciled as (

    select account_id, order_number, product_key, count(*) as rows
    from {{ ref('reconciliation_order_lines') }}
    {%- if cycle != 'true' %}
    where (marketplace, order_number) in (select marketplace, order_number from shipped)
    {%- endif %}
    group by 1, 2, 3

)

select shipped.account_id, shipped.order_number, shipped.product_key, reconciled.rows
from shipped
left join reconciled
    on reconciled.account_id is not distinct from shipped.account_id
    and reconciled.order_number = shipped.order_number
    and reconciled.product_key = shipped.product_key
where coalesce(reconciled.rows, 0) <> 1
