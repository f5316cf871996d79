{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'report_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'report_row_key']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Weekly realization report rows. WB's amounts are positive; each charge has its own field (13-finances
    DetailReportItem, docs/vendors/wildberries.md): forPay on sale and return rows, deliveryService, penalty,
    paidStorage, paidAcceptance, deduction, rebillLogisticCost, acquiringFee, additionalPayment and the loyalty
    cashback fields on charge rows; ppvzReward, vw and vwNds are WB's split of its reward on sale rows.
    ppvzSupplierInn / ppvzSupplierName are the pickup point's partner («ИНН партнёра», «Партнёр»), never the
    seller. Money in roubles. -#}
with

source as (

    {{ latest_version('wildberries', 'wildberries_realization_rows') }}

),

renamed as (

    select
        account_id,
        natural_key as report_row_key,
        payload ->> 'reportId' as report_id,
        (payload ->> 'rrdId')::bigint as rrd_id,
        nullif(payload ->> 'srid', '') as order_number,
        nullif(payload ->> 'vendorCode', '') as offer_id,
        (payload ->> 'nmId')::bigint as nm_id,
        payload ->> 'sellerOperName' as vendor_operation,
        payload ->> 'docTypeName' as document_type,
        (payload ->> 'quantity')::int as quantity,
        {{ money("payload ->> 'retailAmount'") }} as retail_amount,
        {{ money("payload ->> 'retailPriceWithDisc'") }} as unit_price,
        {{ money("payload ->> 'ppvzSalesCommission'") }} as commission,
        {{ money("payload ->> 'forPay'") }} as for_pay,
        {{ money("payload ->> 'deliveryService'") }} as logistics,
        {{ money("payload ->> 'penalty'") }} as penalty,
        {{ money("payload ->> 'paidStorage'") }} as storage,
        {{ money("payload ->> 'acquiringFee'") }} as acquiring,
        {{ money("payload ->> 'deduction'") }} as deduction,
        {{ money("payload ->> 'additionalPayment'") }} as additional_payment,
        {{ money("payload ->> 'paidAcceptance'") }} as acceptance,
        {{ money("payload ->> 'rebillLogisticCost'") }} as rebill_logistics,
        {{ money("payload ->> 'ppvzReward'") }} as pickup_reward,
        {{ money("payload ->> 'vw'") }} as wb_reward,
        {{ money("payload ->> 'vwNds'") }} as wb_reward_vat,
        {{ money("payload ->> 'cashbackAmount'") }} as cashback_amount,
        {{ money("payload ->> 'cashbackDiscount'") }} as cashback_discount,
        {{ money("payload ->> 'cashbackCommissionChange'") }} as cashback_commission_change,
        nullif(payload ->> 'bonusTypeName', '') as charge_reason,
        nullif(payload ->> 'ppvzSupplierInn', '') as partner_inn,
        nullif(payload ->> 'ppvzSupplierName', '') as partner_name,
        {{ iso_time("payload ->> 'saleDt'") }} as operation_at,
        payload ->> 'deliveryMethod' as delivery_method,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
