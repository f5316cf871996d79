{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='summary_id',
          indexes=[{'columns': ['summary_id']}],
          post_hook="delete from {{ this }} where order_lines = 0 and report_total_lines is null") }}
{#- Per legal entity × cabinet × report: reconciliation lines by status, and the report's money as the
    reconciliation saw it (its lines attributed to order lines, plus lines without an order) beside the
    report's totals (summed straight from the report rows, and the totals the report states where it states
    them: Megamarket's Итого row, Wildberries' bankPaymentSum, Ozon's row totals). ``stated_difference_kop`` shows
    the accountant how far our per-line payout is from the vendor's stated total; ``ties_out`` is false when it
    or any attribution differs, which the warn-severity test assert_summary_ties_out_to_report_totals reports —
    a vendor whose own totals disagree is shown, never a failed build. Lines not reported yet (awaiting_report) sit
    in a row with a null report.

    Incremental per report: a cycle rebuilds the rows of the reports it touched — those holding a reconciliation
    line written since the previous run (snapshot_xmin of ops.dbt_watermarks, macro written_since: a line whose
    status, amounts or report changed was rewritten), whose number of lines differs from the stored row (counted
    afresh each cycle, so a line that left a report shows there too), whose report lines or attributed
    reconciliation lines were written since, or whose cabinet or report header changed — and counts the lines by
    status of those reports only. A touched report left with neither lines nor report lines yields a row with
    order_lines 0 and no report total: it replaces the stored row and the post-hook deletes it (a full build never
    makes one). -#}
{%- for marketplace in var('marketplaces') %}
-- depends_on: {{ ref('int_' ~ marketplace ~ '__report_lines') }}
{%- endfor %}
{%- set since = model_watermark().snapshot_xmin if is_incremental() else none %}
{%- set statuses = ['matched', 'amount_mismatch', 'quantity_mismatch', 'awaiting_report', 'missing_in_report',
    'reported_not_shipped', 'returned', 'return_not_received', 'duplicate_in_report', 'cancelled_but_reported',
    'unmapped_product'] %}
{#- one <status>_lines column per status (they add up to order_lines: assert_summary_statuses_add_up);
    unmapped_lines counts the lines of unmapped SKUs whatever their status #}
with

{#- not materialized: read where it is used (a count per report, the lines of touched reports), not
    copied whole first #}
lines as not materialized (

    select * from {{ ref('reconciliation_order_lines') }}

),

accounts as (

    select * from {{ ref('int_accounts') }}

),

reports as (

    select * from {{ ref('int_marketplace__reports') }}

),

{% if is_incremental() %}
{%- if since is not none %}
written_lines as (

    select marketplace, order_number, account_id, report_id from {{ ref('reconciliation_order_lines') }}
    where {{ written_since('xmin', since) }}

),
{%- endif %}

line_counts as (

    select account_id, report_id, count(*) as order_lines from lines group by account_id, report_id

),

touched as (

    select account_id, report_id from (
        select account_id, report_id, order_lines from line_counts
        except
        select account_id, report_id, order_lines from {{ this }} where order_lines > 0
    ) as counted_anew
    union
    select account_id, report_id from (
        select account_id, report_id, order_lines from {{ this }} where order_lines > 0
        except
        select account_id, report_id, order_lines from line_counts
    ) as counted_before
    union
    {%- if since is not none %}
    select account_id, report_id from written_lines
    union
    {%- for marketplace in var('marketplaces') %}
    select account_id, report_id from {{ ref('int_' ~ marketplace ~ '__report_lines') }}
    where {{ written_since('xmin', since) }}
    union
    {%- endfor %}
    select account_id, report_id from {{ ref('int_report_lines_keyed') }} where {{ written_since('xmin', since) }}
    union
    select report_lines.account_id, report_lines.report_id
    from {{ ref('int_report_lines_keyed') }} as report_lines
    where (report_lines.marketplace, report_lines.order_number) in (
        select marketplace, order_number from written_lines
    )
    {%- else %}
    {#- built before snapshot watermarks were kept: every report once #}
    select account_id, report_id from line_counts
    union
    select account_id, report_id from {{ ref('int_marketplace__report_lines') }}
    {%- endif %}
    union
    select stored.account_id, stored.report_id
    from {{ this }} as stored
    left join accounts on accounts.account_id = stored.account_id
    left join reports on reports.account_id = stored.account_id and reports.report_id = stored.report_id
    where (stored.legal_entity_inn, stored.legal_entity_name, stored.marketplace, stored.report_period_start,
            stored.report_period_end, stored.report_published_on, stored.report_stated_net_sales,
            stored.report_stated_payout)
        is distinct from (accounts.legal_entity_inn, accounts.legal_entity_name, accounts.marketplace,
            reports.period_start, reports.period_end, reports.published_on, reports.stated_net_sales,
            reports.stated_payout)

),

{% endif %}
statuses as (

    select
        account_id,
        report_id,
        count(*) as order_lines,
        {%- for status in statuses %}
        count(*) filter (where status = '{{ status }}') as {{ status }}_lines,
        {%- endfor %}
        count(*) filter (where not is_mapped) as unmapped_lines,
        sum(shipped_amount) as shipped_amount
    from lines
    {%- if is_incremental() %}
    {#- the lines of touched reports (and of the lines without a report, or without a cabinet, when touched) #}
    where (coalesce(account_id, ''), coalesce(report_id, ''))
        in (select coalesce(account_id, ''), coalesce(report_id, '') from touched)
    {%- endif %}
    group by account_id, report_id

),

{#- Every report line, attributed to its reconciliation line when it has one. -#}
attributed as (

    select
        report_lines.account_id,
        report_lines.report_id,
        count(*) as lines,
        sum(report_lines.sales_amount) as sales_amount,
        sum(report_lines.returns_amount) as returns_amount,
        sum(report_lines.commission_amount) as commission_amount,
        sum(report_lines.logistics_amount + report_lines.last_mile_amount) as logistics_amount,
        sum(report_lines.penalty_amount) as penalty_amount,
        sum(report_lines.storage_amount + report_lines.acquiring_amount + report_lines.acceptance_amount
            + report_lines.deduction_amount + report_lines.other_amount) as other_amount,
        sum(report_lines.payout_amount) as payout_amount,
        count(*) filter (where recon.reconciliation_line_id is null) as lines_without_order
    from {{ ref('int_report_lines_keyed') }} as report_lines
    left join lines as recon
        on recon.marketplace = report_lines.marketplace
        and recon.account_id = report_lines.account_id
        and recon.order_number = report_lines.order_number
        and recon.product_key = report_lines.product_key
    {%- if is_incremental() %}
    where (report_lines.account_id, report_lines.report_id) in (select account_id, report_id from touched)
    {%- endif %}
    group by 1, 2

),

report_totals as (

    select
        account_id,
        report_id,
        count(*) as lines,
        sum(sales_amount) as sales_amount,
        sum(returns_amount) as returns_amount,
        sum(commission_amount) as commission_amount,
        sum(logistics_amount + last_mile_amount) as logistics_amount,
        sum(penalty_amount) as penalty_amount,
        sum(storage_amount + acquiring_amount + acceptance_amount + deduction_amount + other_amount) as other_amount,
        sum(payout_amount) as payout_amount
    from {{ ref('int_marketplace__report_lines') }}
    {%- if is_incremental() %}
    where (account_id, report_id) in (select account_id, report_id from touched)
    {%- endif %}
    group by 1, 2

),

grain as (

    {%- if is_incremental() %}
    select distinct account_id, report_id from touched
    {%- else %}
    select account_id, report_id from statuses
    union
    select account_id, report_id from report_totals
    {%- endif %}

),

final as (

    select
        md5(coalesce(grain.account_id, '?') || '|' || coalesce(grain.report_id, '-')) as summary_id,
        accounts.legal_entity_inn,
        accounts.legal_entity_name,
        accounts.marketplace,
        grain.account_id,
        grain.report_id,
        reports.period_start as report_period_start,
        reports.period_end as report_period_end,
        reports.published_on as report_published_on,
        coalesce(statuses.order_lines, 0) as order_lines,
        {%- for status in statuses %}
        coalesce(statuses.{{ status }}_lines, 0) as {{ status }}_lines,
        {%- endfor %}
        coalesce(statuses.unmapped_lines, 0) as unmapped_lines,
        coalesce(statuses.shipped_amount, 0) as shipped_amount,
        coalesce(attributed.sales_amount, 0) as reported_sales,
        coalesce(attributed.returns_amount, 0) as reported_returns,
        coalesce(attributed.commission_amount, 0) as reported_commission,
        coalesce(attributed.logistics_amount, 0) as reported_logistics,
        coalesce(attributed.penalty_amount, 0) as reported_penalties,
        coalesce(attributed.other_amount, 0) as reported_other,
        coalesce(attributed.payout_amount, 0) as reported_payout,
        coalesce(attributed.lines_without_order, 0) as report_lines_without_order,
        report_totals.lines as report_total_lines,
        report_totals.sales_amount as report_total_sales,
        report_totals.returns_amount as report_total_returns,
        report_totals.commission_amount as report_total_commission,
        report_totals.logistics_amount as report_total_logistics,
        report_totals.penalty_amount as report_total_penalties,
        report_totals.other_amount as report_total_other,
        report_totals.payout_amount as report_total_payout,
        reports.stated_net_sales as report_stated_net_sales,
        reports.stated_payout as report_stated_payout,
        {#- our per-line payout minus the total the vendor states for the report (WB bankPaymentSum, Ozon Σ row
            totals, Megamarket's Итого), kopecks; null where the vendor states none -#}
        round((report_totals.payout_amount - reports.stated_payout) * 100)::bigint as stated_difference_kop,
        grain.report_id is null or (
            attributed.lines = report_totals.lines
            and attributed.sales_amount = report_totals.sales_amount
            and attributed.returns_amount = report_totals.returns_amount
            and attributed.commission_amount = report_totals.commission_amount
            and attributed.logistics_amount = report_totals.logistics_amount
            and attributed.penalty_amount = report_totals.penalty_amount
            and attributed.other_amount = report_totals.other_amount
            and attributed.payout_amount = report_totals.payout_amount
            and (reports.stated_payout is null or reports.stated_payout = report_totals.payout_amount)
            and (
                reports.stated_net_sales is null
                or reports.stated_net_sales = report_totals.sales_amount + report_totals.returns_amount
            )
        ) as ties_out

    from grain
    left join statuses
        on statuses.account_id is not distinct from grain.account_id
        and statuses.report_id is not distinct from grain.report_id
    left join accounts on accounts.account_id = grain.account_id
    left join reports on reports.account_id = grain.account_id and reports.report_id = grain.report_id
    left join attributed on attributed.account_id = grain.account_id and attributed.report_id = grain.report_id
    left join report_totals
        on report_totals.account_id = grain.account_id and report_totals.report_id = grain.report_id

)

select * from final
