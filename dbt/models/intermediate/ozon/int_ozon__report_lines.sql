{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          on_schema_change='append_new_columns', indexes=[{'columns': ['report_line_id']}, {'columns': ['order_number']}, {'columns': ['landed_at']}]) }}
{#- Ozon report lines in the shared shape, money signed from the seller's side (docs/vendors/ozon.md):

    - realization rows (report by posting): sales +, returns −, Ozon's reward − on a sale and + (refunded) on a
      return; the partner payments a row's total adds (bonus, co-investments, stars, compensation) are
      other_amount; the payout is computed by the identity total = amount + partner payments − reward (the
      vendor's total is the report's stated total, int_ozon__reports). The realization report holds no
      logistics.
    - accruals (/v1/finance/accrual/by-day): every charge Ozon accrues besides the sale — logistics, last mile,
      acquiring, storage, penalties, deductions (ads, subscriptions), compensations — filed by its type's kind
      (var ozon_accrual_kinds). A posting's charges carry its order number (and the SKU's offer); a charge
      without a posting (NON_ITEM: storage, subscriptions) is a line of the cabinet and day with no order.
      Accrual lines form one 'accruals:<YYYY-MM>' report per cabinet and month; Ozon's own sale commission in
      accruals (SaleCommission) is left out, since the realization report already carries it. -#}
with

rows as (

    select * from {{ ref('stg_ozon__realization_rows') }}
    {{ only_new_or_of_changed_reports(ref('stg_ozon__realization_reports')) }}

),

reports as (

    select * from {{ ref('stg_ozon__realization_reports') }}

),

signed as (

    select
        rows.*,
        reports.period_start,
        reports.period_end,
        reports.published_on,
        reports.landed_at as report_landed_at,
        case when operation = 'sale' then 1 else -1 end as sign,
        case when operation = 'sale' then amount else 0 end as sales_amount,
        case when operation = 'return' then -amount else 0 end as returns_amount,
        case when operation = 'sale' then -commission else commission end as commission_amount
    from rows
    left join reports on reports.account_id = rows.account_id and reports.report_id = rows.report_id

),

realization_lines as (

    select
        'ozon:' || account_id || ':' || report_row_key as report_line_id,
        'ozon' as marketplace,
        account_id,
        report_id,
        period_start,
        period_end,
        published_on,
        row_number as line_number,
        order_number,
        posting_number,
        offer_id,
        operation as operation_type,
        operation as vendor_operation,
        quantity,
        sales_amount,
        returns_amount,
        commission_amount,
        0::numeric as logistics_amount,
        0::numeric as penalty_amount,
        0::numeric as storage_amount,
        0::numeric as acquiring_amount,
        sign * partner_payments as other_amount,
        {#- the spec's identity, not the total as sent: int_ozon__reports states Σ total, so the summary shows
            any row that breaks the identity -#}
        sales_amount + returns_amount + commission_amount + sign * partner_payments as payout_amount,
        operation_date,
        greatest(landed_at, report_landed_at) as landed_at,
        0::numeric as acceptance_amount,
        0::numeric as deduction_amount,
        0::numeric as last_mile_amount

    from signed

),

accruals as (

    select * from {{ ref('stg_ozon__accruals') }}
    {%- if is_incremental() %}
    where landed_at > {{ new_since() }}
    {%- endif %}

),

types as (

    select distinct on (type_id) type_id, type_name, charge_kind from {{ ref('stg_ozon__accrual_types') }}
    order by type_id, landed_at desc

),

offers as (

    select distinct on (account_id, sku) account_id, sku, offer_id from {{ ref('stg_ozon__products') }}
    where sku is not null
    order by account_id, sku, landed_at desc

),

charges as (

    select
        accruals.*,
        coalesce(types.charge_kind, 'other') as charge_kind,
        coalesce(types.type_name, 'type ' || accruals.type_id) as type_name,
        offers.offer_id
    from accruals
    left join types on types.type_id = accruals.type_id
    left join offers on offers.account_id = accruals.account_id and offers.sku = accruals.sku
    where coalesce(types.charge_kind, 'other') <> 'commission'

),

accrual_lines as (

    select
        'ozon:' || account_id || ':accrual:' || accrual_id || ':' || charge_number as report_line_id,
        'ozon' as marketplace,
        account_id,
        'accruals:' || to_char(accrual_date, 'YYYY-MM') as report_id,
        date_trunc('month', accrual_date)::date as period_start,
        (date_trunc('month', accrual_date) + interval '1 month' - interval '1 day')::date as period_end,
        accrual_date as published_on,
        null::int as line_number,
        order_number,
        posting_number,
        offer_id,
        charge_kind as operation_type,
        type_name as vendor_operation,
        0 as quantity,
        0::numeric as sales_amount,
        0::numeric as returns_amount,
        0::numeric as commission_amount,
        case when charge_kind = 'logistics' then amount else 0 end as logistics_amount,
        case when charge_kind = 'penalty' then amount else 0 end as penalty_amount,
        case when charge_kind = 'storage' then amount else 0 end as storage_amount,
        case when charge_kind = 'acquiring' then amount else 0 end as acquiring_amount,
        case when charge_kind in ('compensation', 'other') then amount else 0 end as other_amount,
        amount as payout_amount,
        accrual_date as operation_date,
        landed_at,
        0::numeric as acceptance_amount,
        case when charge_kind = 'deduction' then amount else 0 end as deduction_amount,
        case when charge_kind = 'last_mile' then amount else 0 end as last_mile_amount

    from charges

),

final as (

    select * from realization_lines
    union all
    select * from accrual_lines

)

select * from final
