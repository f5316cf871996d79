{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'report_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'report_row_key']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Commission report rows with the workbook's Russian headers renamed; money in roubles as the file has it:
    Сумма реализации is negative on a return, К перечислению is signed from the seller's side. -#}
with

source as (

    {{ latest_version('megamarket', 'megamarket_report_rows') }}

),

renamed as (

    select
        account_id,
        natural_key as report_row_key,
        split_part(natural_key, ':', 1) as report_id,
        (payload ->> '№ п/п')::int as row_number,
        payload ->> 'Номер заказа' as order_number,
        payload ->> 'Номер отправления' as shipment_id,
        payload ->> 'Артикул продавца' as offer_id,
        payload ->> 'Код товара Мегамаркет' as goods_id,
        payload ->> 'Наименование товара' as item_name,
        payload ->> 'Тип операции' as vendor_operation,
        to_date(payload ->> 'Дата операции', 'DD.MM.YYYY') as operation_date,
        (payload ->> 'Количество, шт.')::int as quantity,
        {{ money("payload ->> 'Сумма реализации, руб.'") }} as sales_amount,
        {{ money("payload ->> 'Вознаграждение, руб.'") }} as commission,
        {{ money("payload ->> 'Логистика, руб.'") }} as logistics,
        {{ money("payload ->> 'Штрафы, руб.'") }} as penalty,
        {{ money("payload ->> 'К перечислению, руб.'") }} as payout,
        extracted_at as landed_at,
        raw_id

    from source

)

select * from renamed
