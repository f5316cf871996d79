{{ config(severity='warn') }}
{#- Every report's money as the reconciliation attributed it equals the report's own totals, and the vendor's stated
    total, to the kopeck. Warn severity: a vendor whose own totals disagree with its lines (or with a formula we
    assume) is shown to the accountant in reconciliation_summary.stated_difference_kop, never a failed build. -#}
select *
from {{ ref('reconciliation_summary') }}
where not ties_out
