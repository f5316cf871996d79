{#- Every report line of every marketplace (sales, returns, commissions, logistics, penalties, storage,
    acquiring), money signed from the seller's side, with the 1C item and the legal entity. -#}
{{ config(materialized='incremental', unique_key='report_line_id', on_schema_change='sync_all_columns',
          indexes=[{'columns': ['report_line_id']}, {'columns': ['landed_at']}],
          post_hook=["{{ partial_index(['report_line_id'], 'not is_mapped') }}",
                     "{{ partial_index(['account_id'], 'legal_entity_inn is null') }}"]) }}
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
    lines.acceptance_amount,
    lines.deduction_amount,
    lines.last_mile_amount,
    lines.other_amount,
    lines.payout_amount,
    lines.landed_at
from {{ ref('int_report_lines_keyed') }} as lines
left join {{ ref('int_accounts') }} as accounts on accounts.account_id = lines.account_id
{% if is_incremental() %}
{#- only lines landed since the last run, lines unmapped then (an override may map them now), and the lines of a
    cabinet whose legal entity became known since (its first report): one semi-join on their keys -#}
where lines.report_line_id in (
    select report_line_id from {{ ref('int_report_lines_keyed') }} where landed_at > {{ new_since() }}
    union
    select report_line_id from {{ this }} where not is_mapped
    union
    select report_line_id from {{ ref('int_report_lines_keyed') }}
    where account_id in (
        select account_id from {{ this }} where legal_entity_inn is null
        intersect
        select account_id from {{ ref('int_accounts') }} where legal_entity_inn is not null
    )
)
{% endif %}
