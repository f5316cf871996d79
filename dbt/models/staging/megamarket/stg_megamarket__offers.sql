with

source as (

    {{ latest_version('megamarket', 'megamarket_offers') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offerId' as offer_id,
        (payload ->> 'goodsId')::bigint as goods_id,
        payload ->> 'itemName' as offer_name,
        payload ->> 'categoryName' as category_name,
        nullif(payload ->> 'taxRate', '')::numeric as vat_rate,
        extracted_at as landed_at

    from source

)

select * from renamed
