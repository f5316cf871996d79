{#- Every report line of every marketplace (sales, returns, commissions, logistics, penalties, storage,
    acquiring), money signed from the seller's side, with the 1C item and the legal entity. -#}
{{ config(materialized='incremental', unique_key='report_line_id', on_schema_change='sync_all_columns') }}
select
    lines.report_line_id,
    lines.marketplace,
    lines.account_id,
    accounts.legal_entity_inn,
    lines.report_id,
    lines.period_start,
    lines.period_end,
    lines.operation_date,
    lines.order_number,
    lines.offer_id,
    lines.product_ref,
    lines.is_mapped,
    lines.operation_type,
    lines.vendor_operation,
    lines.quantity,
    lines.sales_amount,
    lines.returns_amount,
    lines.commission_amount,
    lines.logistics_amount,
    lines.penalty_amount,
    lines.storage_amount,
    lines.acquiring_amount,
    lines.other_amount,
    lines.payout_amount
from {{ ref('int_report_lines_keyed') }} as lines
left join {{ ref('int_accounts') }} as accounts on accounts.account_id = lines.account_id
{% if is_incremental() %}
where not exists (
    select 1 from {{ this }} as existing
    where existing.report_line_id = lines.report_line_id
        and existing.payout_amount = lines.payout_amount
        and existing.product_ref is not distinct from lines.product_ref
        and existing.legal_entity_inn is not distinct from accounts.legal_entity_inn
)
{% endif %}
