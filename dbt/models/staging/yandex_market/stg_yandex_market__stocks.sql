with

source as (

    {{ latest_version('yandex_market', 'yandex_market_stocks') }}

),

renamed as (

    select
        account_id,
        coalesce((context ->> 'warehouseId')::bigint, split_part(natural_key, ':', 1)::bigint) as warehouse_id,
        (context ->> 'campaignId')::bigint as campaign_id,
        payload ->> 'offerId' as offer_id,
        (select sum((s ->> 'count')::numeric) from jsonb_array_elements(payload -> 'stocks') as s
            where s ->> 'type' = 'FIT') as quantity_fit,
        (select sum((s ->> 'count')::numeric) from jsonb_array_elements(payload -> 'stocks') as s
            where s ->> 'type' = 'AVAILABLE') as quantity_available,
        (select sum((s ->> 'count')::numeric) from jsonb_array_elements(payload -> 'stocks') as s
            where s ->> 'type' = 'FREEZE') as quantity_reserved,
        {{ iso_time("payload ->> 'updatedAt'") }} as updated_at,
        extracted_at as landed_at

    from source

)

select * from renamed
