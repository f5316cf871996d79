with

source as (

    {{ latest_version('yandex_market', 'yandex_market_warehouses') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as warehouse_id,
        payload ->> 'name' as warehouse_name,
        (payload ->> 'campaignId')::bigint as campaign_id,
        coalesce((payload ->> 'express')::boolean, false) as is_express,
        extracted_at as landed_at

    from source

)

select * from renamed
