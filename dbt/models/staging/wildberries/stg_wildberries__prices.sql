with

source as (

    {{ latest_version('wildberries', 'wildberries_prices') }}

),

renamed as (

    select
        account_id,
        payload ->> 'vendorCode' as offer_id,
        (payload ->> 'nmID')::bigint as nm_id,
        {{ money("payload -> 'sizes' -> 0 ->> 'price'") }} as price,
        {{ money("payload -> 'sizes' -> 0 ->> 'discountedPrice'") }} as discounted_price,
        (payload ->> 'discount')::numeric as discount_percent,
        extracted_at as landed_at

    from source

)

select * from renamed
