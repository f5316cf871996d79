with

source as (

    {{ latest_version('ozon', 'ozon_realization_reports') }}

),

renamed as (

    select
        account_id,
        payload ->> 'number' as report_id,
        (payload ->> 'doc_date')::date as published_on,
        (payload ->> 'start_date')::date as period_start,
        (payload ->> 'stop_date')::date as period_end,
        payload ->> 'payer_inn' as payer_inn,
        payload ->> 'receiver_inn' as seller_inn,
        payload ->> 'receiver_name' as seller_name,
        payload ->> 'contract_number' as contract_number,
        payload ->> 'currency_sys_name' as currency,
        extracted_at as landed_at

    from source

)

select * from renamed
