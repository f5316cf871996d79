with

source as (

    {{ latest_version('yandex_market', 'yandex_market_prices') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offerId' as offer_id,
        {{ money("payload -> 'price' ->> 'value'") }} as price,
        {{ money("payload -> 'price' ->> 'discountBase'") }} as old_price,
        {{ iso_time("payload -> 'price' ->> 'updatedAt'") }} as updated_at,
        extracted_at as landed_at

    from source

)

select * from renamed
