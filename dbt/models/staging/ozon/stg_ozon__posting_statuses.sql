with

source as (

    {{ latest_version('ozon', 'ozon_posting_statuses') }}

),

renamed as (

    select
        account_id,
        payload ->> 'posting_number' as posting_number,
        coalesce(
            nullif(payload ->> 'order_number', ''), {{ order_number("'ozon'", "payload ->> 'posting_number'") }}
        ) as order_number,
        payload ->> 'scheme' as scheme,
        payload ->> 'status' as status,
        nullif(payload ->> 'substatus', '') as substatus,
        nullif((payload ->> 'cancel_reason_id')::bigint, 0) as cancel_reason_id,
        extracted_at as landed_at

    from source

)

select * from renamed
