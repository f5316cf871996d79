with

source as (

    {{ latest_version('yandex_market', 'yandex_market_order_statuses') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'orderId')::bigint as order_id,
        (payload ->> 'campaignId')::bigint as campaign_id,
        payload ->> 'status' as status,
        payload ->> 'substatus' as substatus,
        extracted_at as landed_at

    from source

)

select * from renamed
