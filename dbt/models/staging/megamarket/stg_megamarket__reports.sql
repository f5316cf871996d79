{#- Commission report headers: the workbook's title block (number, seller with ИНН, period) and its Итого row. -#}
with

source as (

    {{ latest_version('megamarket', 'megamarket_reports') }}

),

renamed as (

    select
        account_id,
        payload ->> 'id' as report_id,
        (payload ->> 'periodStart')::date as period_start,
        (payload ->> 'periodEnd')::date as period_end,
        ({{ iso_time("payload ->> 'publishedAt'") }} at time zone 'UTC')::date as published_on,
        substring(payload ->> 'title' from 'ИНН ([0-9]{10,12})') as seller_inn,
        substring(payload ->> 'title' from 'Продавец: ([^,"]+(?:"[^"]*")?)') as seller_name,
        {{ money("payload -> 'totals' ->> 'Сумма реализации, руб.'") }} as total_sales,
        {{ money("payload -> 'totals' ->> 'Вознаграждение, руб.'") }} as total_commission,
        {{ money("payload -> 'totals' ->> 'Логистика, руб.'") }} as total_logistics,
        {{ money("payload -> 'totals' ->> 'Штрафы, руб.'") }} as total_penalties,
        {{ money("payload -> 'totals' ->> 'К перечислению, руб.'") }} as total_payout,
        payload ->> 'fileName' as file_name,
        extracted_at as landed_at

    from source

)

select * from renamed
