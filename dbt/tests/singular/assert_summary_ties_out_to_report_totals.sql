{#- Every report's money as the reconciliation attributed it equals the report's own totals to the kopeck. -#}
select *
from {{ ref('reconciliation_summary') }}
where not ties_out
