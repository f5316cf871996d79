with

source as (

    {{ latest_version('wildberries', 'wildberries_realization_reports') }}

),

renamed as (

    select
        account_id,
        payload ->> 'reportId' as report_id,
        (payload ->> 'dateFrom')::date as period_start,
        (payload ->> 'dateTo')::date as period_end,
        (payload ->> 'createDate')::date as published_on,
        payload ->> 'sellerFinanceName' as seller_name,
        {{ money("payload ->> 'retailAmountSum'") }} as total_net_sales,
        {{ money("payload ->> 'forPaySum'") }} as total_for_pay,
        {{ money("payload ->> 'deliveryServiceSum'") }} as total_logistics,
        {{ money("payload ->> 'penaltySum'") }} as total_penalties,
        {{ money("payload ->> 'paidStorageSum'") }} as total_storage,
        {{ money("payload ->> 'deductionSum'") }} as total_deductions,
        {{ money("payload ->> 'bankPaymentSum'") }} as total_payout,
        extracted_at as landed_at

    from source

)

select * from renamed
