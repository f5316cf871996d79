with

source as (

    {{ latest_version('yandex_market', 'yandex_market_campaigns') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as campaign_id,
        payload ->> 'domain' as campaign_name,
        (payload -> 'business' ->> 'id')::bigint as business_id,
        payload -> 'business' ->> 'name' as business_name,
        lower(payload ->> 'placementType') as scheme,
        payload ->> 'apiAvailability' as api_availability,
        extracted_at as landed_at

    from source

)

select * from renamed
