{#- Every 1C-shipped marketplace order appears in the reconciliation exactly once per product. -#}
with

shipped as (

    select distinct account_id, order_number, product_key
    from {{ ref('int_onec_lines_keyed') }}
    where document_kind = 'shipment'

),

reconciled as (

    select account_id, order_number, product_key, count(*) as rows
    from {{ ref('reconciliation_order_lines') }}
    group by 1, 2, 3

)

select shipped.*, reconciled.rows
from shipped
left join reconciled
    on reconciled.account_id is not distinct from shipped.account_id
    and reconciled.order_number = shipped.order_number
    and reconciled.product_key = shipped.product_key
where coalesce(reconciled.rows, 0) <> 1
