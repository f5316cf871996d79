with

source as (

    {{ latest_version('ozon', 'ozon_prices') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offer_id' as offer_id,
        (payload ->> 'product_id')::bigint as product_id,
        {{ money("payload -> 'price' ->> 'price'") }} as price,
        {{ money("payload -> 'price' ->> 'old_price'") }} as old_price,
        {{ money("payload -> 'price' ->> 'min_price'") }} as min_price,
        {{ money("payload -> 'price' ->> 'marketing_seller_price'") }} as marketing_seller_price,
        nullif(payload -> 'price' ->> 'vat', '')::numeric as vat_rate,
        nullif(payload -> 'commissions' ->> 'sales_percent_fbo', '')::numeric as commission_percent_fbo,
        nullif(payload -> 'commissions' ->> 'sales_percent_fbs', '')::numeric as commission_percent_fbs,
        extracted_at as landed_at

    from source

)

select * from renamed
