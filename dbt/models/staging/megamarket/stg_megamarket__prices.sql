with

source as (

    {{ latest_version('megamarket', 'megamarket_prices') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offerId' as offer_id,
        {{ money("payload ->> 'price'") }} as price,
        extracted_at as landed_at

    from source

)

select * from renamed
