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
        {{ money("payload ->> 'paidAcceptanceSum'") }} as total_acceptance,
        {{ money("payload ->> 'additionalPaymentSum'") }} as total_additional_payment,
        {#- the formula public projects use for the payout (docs/vendors/wildberries.md), kept beside WB's stated
            bankPaymentSum so the difference shows, never trusted: forPay − delivery − storage − acceptance −
            deductions − penalties (forPaySum already nets returns) -#}
        {{ money("payload ->> 'forPaySum'") }} - coalesce({{ money("payload ->> 'deliveryServiceSum'") }}, 0)
            - coalesce({{ money("payload ->> 'paidStorageSum'") }}, 0)
            - coalesce({{ money("payload ->> 'paidAcceptanceSum'") }}, 0)
            - coalesce({{ money("payload ->> 'deductionSum'") }}, 0)
            - coalesce({{ money("payload ->> 'penaltySum'") }}, 0) as public_formula_payout,
        extracted_at as landed_at

    from source

)

select * from renamed
