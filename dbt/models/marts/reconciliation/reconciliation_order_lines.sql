{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['marketplace', 'order_number'],
          indexes=[{'columns': ['marketplace', 'order_number']}, {'columns': ['account_id', 'report_id']}, {'columns': ['status']},
                   {'columns': ['landed_at']}],
          pre_hook='set local enable_mergejoin = off',
          post_hook="{{ partial_index(['marketplace', 'order_number'], 'not is_mapped') }}") }}
{#- Merge joins off for this statement: over CTEs without statistics the planner merges on the cabinet alone
    and filters the rest (one cabinet × a million lines); hash joins are what these equi-joins need. landed_at is
    indexed for the data tests of a cycle, which read the lines landed since (macros/tests_of_the_cycle.sql). -#}
{#- One row per (cabinet, marketplace order number, product): what 1C shipped and received back, what the
    marketplace reported, and the status (docs/architecture.md "Reconciliation"), first rule that applies:

    0. the marketplace SKU maps to no 1C item                       → unmapped_product: one line, its report
       and order lines paired with the order's 1C shipment line by the SKU's barcode candidate
       (int_unmapped_offer_candidates), else — the order's only unpaired SKU and only unpaired 1C item — by
       order number; never a missing_in_report + reported_not_shipped pair
    1. two or more identical sale lines in the reports              → duplicate_in_report
    2. the marketplace cancelled the order, a sale line exists      → cancelled_but_reported
    3. a sale line, no 1C shipment                                  → reported_not_shipped
    4. a return line: a 1C customer return exists                   → returned, else return_not_received
    5. one sale line: quantity differs                              → quantity_mismatch;
       |reported - shipped| > var amount_tolerance_kop              → amount_mismatch; else matched
    6. shipped, no sale line: the report of the period holding the shipment + var delivery_window_days is
       out                                                          → missing_in_report, else awaiting_report -#}

{#- Incremental: only the orders that new data touches are classified again — new 1C documents, report lines
    or marketplace order states, lines awaiting a report whose due period now has one, and unmapped lines
    (an override may have been added). Rows of closed periods are left as they are. -#}
{%- set only_touched -%}
    {%- if is_incremental() %} where (marketplace, order_number) in (select marketplace, order_number from touched){% endif -%}
{%- endset %}

with
{% if is_incremental() %}
touched as (

    select marketplace, order_number from {{ ref('int_onec_lines_keyed') }} where landed_at > {{ new_since() }}
    union
    select marketplace, order_number from {{ ref('int_report_lines_keyed') }}
    where landed_at > {{ new_since() }} and order_number is not null
    union
    select marketplace, order_number from {{ ref('int_marketplace__order_lines') }} where landed_at > {{ new_since() }}
    union
    select this.marketplace, this.order_number
    from {{ this }} as this
    inner join {{ ref('int_marketplace__reports') }} as due
        on due.account_id = this.account_id
        and due.report_kind = 'realization'
        and this.report_due_for_date between due.period_start and due.period_end
    where this.status = 'awaiting_report'
    union
    select marketplace, order_number from {{ this }} where not is_mapped

),
{% endif %}
onec as (

    {#- account_key: the cabinet, or '?<marketplace>' while no cabinet is known (rows still join and group) #}
    select
        coalesce(account_id, '?' || marketplace) as account_key,
        order_number,
        product_key,
        min(marketplace) as marketplace,
        min(onec_base_id) as onec_base_id,
        min(product_ref::text)::uuid as product_ref,
        coalesce(sum(quantity) filter (where document_kind = 'shipment'), 0) as shipped_quantity,
        coalesce(sum(amount) filter (where document_kind = 'shipment'), 0) as shipped_amount,
        min(document_at) filter (where document_kind = 'shipment') as shipped_at,
        {#- one shipment number almost always: the distinct, sorted list only where there are several (a distinct
            aggregate sorts within every group, which over a million groups costs more than the rest) #}
        case
            when min(document_number) filter (where document_kind = 'shipment')
                = max(document_number) filter (where document_kind = 'shipment')
                then min(document_number) filter (where document_kind = 'shipment')
            else (
                select string_agg(distinct number, ', ')
                from unnest(array_agg(document_number) filter (where document_kind = 'shipment')) as number
            )
        end as shipment_numbers,
        coalesce(sum(quantity) filter (where document_kind = 'return'), 0) as received_back_quantity,
        coalesce(sum(amount) filter (where document_kind = 'return'), 0) as received_back_amount,
        count(*) filter (where document_kind = 'shipment') > 0 as is_shipped,
        count(*) filter (where document_kind = 'return') > 0 as has_return_document,
        max(landed_at) as landed_at
    from {{ ref('int_onec_lines_keyed') }}
    {{ only_touched }}
    group by coalesce(account_id, '?' || marketplace), order_number, product_key

),

reported as (

    select
        account_id as account_key,
        order_number,
        product_key,
        min(marketplace) as marketplace,
        min(product_ref::text)::uuid as product_ref,
        min(offer_id) as offer_id,
        count(*) filter (where operation_type = 'sale') as sale_lines,
        {#- distinct sale lines matter only where there are two or more (rule 1); counted there alone #}
        case
            when count(*) filter (where operation_type = 'sale') < 2 then count(*) filter (where operation_type = 'sale')
            else (
                select count(distinct sale)
                {#- a pair as jsonb: numbers compare as numbers, as in the row it replaces #}
                from unnest(
                    array_agg(jsonb_build_array(quantity, sales_amount)) filter (where operation_type = 'sale')
                ) as sale
            )
        end as distinct_sale_lines,
        count(*) filter (where operation_type = 'return') as return_lines,
        coalesce(sum(quantity) filter (where operation_type = 'sale'), 0) as reported_quantity,
        coalesce(sum(quantity) filter (where operation_type = 'return'), 0) as reported_return_quantity,
        sum(sales_amount) as reported_sales,
        sum(returns_amount) as reported_returns,
        sum(commission_amount) as reported_commission,
        sum(logistics_amount + last_mile_amount) as reported_logistics,
        sum(penalty_amount) as reported_penalties,
        sum(storage_amount + acquiring_amount + acceptance_amount + deduction_amount + other_amount) as reported_other,
        sum(payout_amount) as reported_payout,
        min(report_id) filter (where operation_type = 'sale') as sale_report_id,
        min(report_id) filter (where operation_type = 'return') as return_report_id,
        bool_or(is_unmapped_offer) as has_unmapped_offer,
        max(landed_at) as landed_at
    from (
        select keyed.*, not keyed.is_mapped as is_unmapped_offer
        from (select * from {{ ref('int_report_lines_keyed') }} {{ only_touched }}) as keyed
    ) as lines
    where order_number is not null
    group by account_id, order_number, product_key
    having count(*) filter (where operation_type in ('sale', 'return')) > 0

),

mapping as (

    select account_id as account_key, product_ref::text as product_key, min(offer_id) as offer_id
    from {{ ref('int_product_mapping') }}
    where is_mapped
    group by account_id, product_ref

),

order_state as (

    select
        lines.account_id as account_key,
        lines.order_number,
        coalesce({{ mapped('product_ref') }}::text, 'offer:' || lines.offer_id) as product_key,
        bool_and(lines.order_status = 'cancelled') as is_cancelled,
        min(lines.created_at) as ordered_at,
        bool_or({{ mapped('product_ref') }} is null) as has_unmapped_offer,
        min(lines.offer_id) as offer_id,
        max(lines.landed_at) as landed_at
    from (select * from {{ ref('int_marketplace__order_lines') }} {{ only_touched }}) as lines
    {{ join_product_mapping('lines', 'lines.warehouse_id') }}
    group by 1, 2, 3

),

{#- Unmapped SKUs ('offer:<offer_id>' keys) paired with the order's 1C item (rule 0): by the SKU's barcode candidate,
    else when the order has exactly one unmapped SKU and exactly one 1C item no marketplace line claims. The keys
    are filtered before their union: the mapped million are never deduplicated. -#}
unmapped_keys as (

    select marketplace_keys.*, candidates.candidate_product_ref::text as candidate_key
    from (
        select account_key, order_number, product_key, offer_id from reported where product_key like 'offer:%'
        union
        select account_key, order_number, product_key, offer_id from order_state where product_key like 'offer:%'
    ) as marketplace_keys
    left join {{ ref('int_unmapped_offer_candidates') }} as candidates
        on candidates.account_id = marketplace_keys.account_key and candidates.offer_id = marketplace_keys.offer_id

),

lone_unmapped as (

    select account_key, order_number, min(product_key) as product_key
    from unmapped_keys
    where candidate_key is null
    group by 1, 2
    having count(distinct product_key) = 1

),

lone_onec as (

    select onec.account_key, onec.order_number, min(onec.product_key) as onec_key
    from onec
    inner join lone_unmapped using (account_key, order_number)
    where not exists (
        select 1 from reported as claimed
        where claimed.account_key = onec.account_key and claimed.order_number = onec.order_number
            and claimed.product_key = onec.product_key
    )
        and not exists (
            select 1 from order_state as claimed
            where claimed.account_key = onec.account_key and claimed.order_number = onec.order_number
                and claimed.product_key = onec.product_key
        )
    group by 1, 2
    having count(*) = 1

),

paired_keys as (

    select account_key, order_number, product_key, candidate_key as paired_key
    from unmapped_keys
    where candidate_key is not null
    union all
    select lone_unmapped.account_key, lone_unmapped.order_number, lone_unmapped.product_key, lone_onec.onec_key
    from lone_unmapped
    inner join lone_onec using (account_key, order_number)

),

reported_paired as (

    select
        reported.account_key,
        reported.order_number,
        coalesce(paired_keys.paired_key, reported.product_key) as product_key,
        reported.marketplace,
        reported.product_ref,
        reported.offer_id,
        reported.sale_lines,
        reported.distinct_sale_lines,
        reported.return_lines,
        reported.reported_quantity,
        reported.reported_return_quantity,
        reported.reported_sales,
        reported.reported_returns,
        reported.reported_commission,
        reported.reported_logistics,
        reported.reported_penalties,
        reported.reported_other,
        reported.reported_payout,
        reported.sale_report_id,
        reported.return_report_id,
        reported.has_unmapped_offer,
        reported.landed_at
    from reported
    left join paired_keys using (account_key, order_number, product_key)

),

{#- the order lines of an order with a paired key are grouped again (the paired key may merge with a line of that
    key); the others are one row per key already and pass as they are -#}
order_state_paired as (

    select
        account_key,
        order_number,
        product_key,
        is_cancelled,
        ordered_at,
        has_unmapped_offer,
        case when has_unmapped_offer then offer_id end as unmapped_offer_id,
        landed_at
    from order_state
    where not exists (
        select 1 from paired_keys
        where paired_keys.account_key = order_state.account_key and paired_keys.order_number = order_state.order_number
    )
    union all
    select
        order_state.account_key,
        order_state.order_number,
        coalesce(paired_keys.paired_key, order_state.product_key) as product_key,
        bool_and(order_state.is_cancelled) as is_cancelled,
        min(order_state.ordered_at) as ordered_at,
        bool_or(order_state.has_unmapped_offer) as has_unmapped_offer,
        min(order_state.offer_id) filter (where order_state.has_unmapped_offer) as unmapped_offer_id,
        max(order_state.landed_at) as landed_at
    from order_state
    left join paired_keys using (account_key, order_number, product_key)
    where exists (
        select 1 from paired_keys as paired
        where paired.account_key = order_state.account_key and paired.order_number = order_state.order_number
    )
    group by 1, 2, 3

),

{#- the sales reports (a services-only report, e.g. Yandex Market's, is not the report a sale is due in) -#}
reports as (

    select * from {{ ref('int_marketplace__reports') }}
    where report_kind = 'realization'

),

joined as (

    select
        nullif(account_key, '?' || coalesce(reported.marketplace, onec.marketplace)) as account_id,
        order_number,
        product_key,
        coalesce(reported.marketplace, onec.marketplace) as marketplace,
        onec.onec_base_id,
        coalesce(onec.product_ref, reported.product_ref) as product_ref,
        coalesce(reported.offer_id, order_state.unmapped_offer_id, mapping.offer_id) as offer_id,
        coalesce(reported.has_unmapped_offer, false) or coalesce(order_state.has_unmapped_offer, false)
            as has_unmapped_offer,
        coalesce(onec.is_shipped, false) as is_shipped,
        coalesce(onec.shipped_quantity, 0) as shipped_quantity,
        coalesce(onec.shipped_amount, 0) as shipped_amount,
        onec.shipped_at,
        onec.shipment_numbers,
        coalesce(onec.has_return_document, false) as has_return_document,
        coalesce(onec.received_back_quantity, 0) as received_back_quantity,
        coalesce(onec.received_back_amount, 0) as received_back_amount,
        coalesce(reported.sale_lines, 0) as sale_lines,
        coalesce(reported.distinct_sale_lines, 0) as distinct_sale_lines,
        coalesce(reported.return_lines, 0) as return_lines,
        coalesce(reported.reported_quantity, 0) as reported_quantity,
        coalesce(reported.reported_return_quantity, 0) as reported_return_quantity,
        coalesce(reported.reported_sales, 0) as reported_sales,
        coalesce(reported.reported_returns, 0) as reported_returns,
        coalesce(reported.reported_commission, 0) as reported_commission,
        coalesce(reported.reported_logistics, 0) as reported_logistics,
        coalesce(reported.reported_penalties, 0) as reported_penalties,
        coalesce(reported.reported_other, 0) as reported_other,
        coalesce(reported.reported_payout, 0) as reported_payout,
        reported.sale_report_id,
        reported.return_report_id,
        coalesce(order_state.is_cancelled, false) as is_order_cancelled,
        order_state.ordered_at,
        greatest(onec.landed_at, reported.landed_at, order_state.landed_at) as landed_at,
        ((onec.shipped_at + make_interval(days => {{ per_marketplace('delivery_window_days', 'coalesce(reported.marketplace, onec.marketplace)') }})) at time zone 'UTC')::date
            as report_due_for_date

    {#- every key of either side (each is one row per key): a full join, not a union of the keys joined back #}
    from onec
    full join reported_paired as reported using (account_key, order_number, product_key)
    left join order_state_paired as order_state using (account_key, order_number, product_key)
    left join mapping using (account_key, product_key)
    {#- computed once per row: inlined, report_due_for_date was evaluated again for every report the range join
        below compares it with (12 reports × a million lines) #}
    offset 0

),

with_due_report as (

    select
        joined.*,
        due.report_id as due_report_id
    from joined
    left join reports as due
        on due.account_id = joined.account_id
        and joined.report_due_for_date between due.period_start and due.period_end

),

classified as (

    select
        *,
        case
            when has_unmapped_offer then 'unmapped_product'
            when sale_lines >= 2 and distinct_sale_lines < sale_lines then 'duplicate_in_report'
            when sale_lines >= 1 and is_order_cancelled then 'cancelled_but_reported'
            when sale_lines >= 1 and not is_shipped then 'reported_not_shipped'
            when return_lines >= 1 and has_return_document then 'returned'
            when return_lines >= 1 then 'return_not_received'
            when sale_lines >= 1 and reported_quantity <> shipped_quantity then 'quantity_mismatch'
            when sale_lines >= 1 and abs(reported_sales - shipped_amount) * 100 > {{ var('amount_tolerance_kop') }}
                then 'amount_mismatch'
            when sale_lines >= 1 then 'matched'
            when due_report_id is not null then 'missing_in_report'
            else 'awaiting_report'
        end as status
    from with_due_report

),

products as (

    select * from {{ ref('stg_onec__products') }}

),

accounts as (

    select * from {{ ref('int_accounts') }}

),

final as (

    select
        md5(coalesce(classified.account_id, '?' || classified.marketplace) || '|' || classified.order_number
            || '|' || classified.product_key) as reconciliation_line_id,
        classified.marketplace,
        classified.account_id,
        accounts.legal_entity_inn,
        accounts.legal_entity_name,
        classified.order_number,
        classified.product_key,
        classified.product_ref,
        products.article,
        products.product_name,
        classified.offer_id,
        classified.product_ref is not null and classified.offer_id is not null and not classified.has_unmapped_offer
            as is_mapped,
        classified.status,
        classified.is_order_cancelled,
        classified.ordered_at,
        classified.is_shipped,
        classified.shipped_at,
        classified.shipment_numbers,
        classified.shipped_quantity,
        classified.shipped_amount,
        classified.has_return_document,
        classified.received_back_quantity,
        classified.received_back_amount,
        classified.sale_lines,
        classified.return_lines,
        classified.reported_quantity,
        classified.reported_return_quantity,
        classified.reported_sales,
        classified.reported_returns,
        classified.reported_commission,
        classified.reported_logistics,
        classified.reported_penalties,
        classified.reported_other,
        classified.reported_payout,
        classified.reported_quantity - classified.shipped_quantity as quantity_difference,
        classified.reported_sales - classified.shipped_amount as amount_difference,
        coalesce(classified.sale_report_id, classified.return_report_id, classified.due_report_id) as report_id,
        report.period_start as report_period_start,
        report.period_end as report_period_end,
        report.published_on as report_published_on,
        classified.report_due_for_date,
        classified.landed_at

    from classified
    left join products
        on products.onec_base_id = classified.onec_base_id and products.product_ref = classified.product_ref
    left join accounts on accounts.account_id = classified.account_id
    left join reports as report
        on report.account_id = classified.account_id
        and report.report_id = coalesce(classified.sale_report_id, classified.return_report_id, classified.due_report_id)

)

select * from final
