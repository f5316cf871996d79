with

source as (

    {{ latest_version('yandex_market', 'yandex_market_offer_mappings') }}

),

renamed as (

    select
        account_id,
        payload -> 'offer' ->> 'offerId' as offer_id,
        (payload -> 'mapping' ->> 'marketSku')::bigint as market_sku,
        payload -> 'offer' ->> 'name' as offer_name,
        array(select jsonb_array_elements_text(coalesce(payload -> 'offer' -> 'barcodes', '[]'::jsonb))) as barcodes,
        {{ money("payload -> 'offer' -> 'basicPrice' ->> 'value'") }} as basic_price,
        coalesce((payload -> 'offer' ->> 'archived')::boolean, false) as is_archived,
        payload -> 'offer' ->> 'cardStatus' as card_status,
        extracted_at as landed_at

    from source

)

select * from renamed
