with

source as (

    {{ latest_version('ozon', 'ozon_stocks') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offer_id' as offer_id,
        (payload ->> 'product_id')::bigint as product_id,
        payload -> 'stocks' as stocks_by_type,
        extracted_at as landed_at

    from source

)

select * from renamed
