with

source as (

    {{ latest_version('ozon', 'ozon_products') }}

),

renamed as (

    select
        account_id,
        payload ->> 'offer_id' as offer_id,
        (payload ->> 'id')::bigint as product_id,
        (payload ->> 'sku')::bigint as sku,
        payload ->> 'name' as product_name,
        array(select jsonb_array_elements_text(coalesce(payload -> 'barcodes', '[]'::jsonb))) as barcodes,
        {{ money("payload ->> 'price'") }} as price,
        {{ money("payload ->> 'old_price'") }} as old_price,
        nullif(payload ->> 'vat', '')::numeric as vat_rate,
        coalesce((payload ->> 'is_archived')::boolean, false) as is_archived,
        {{ iso_time("payload ->> 'created_at'") }} as created_at,
        {{ iso_time("payload ->> 'updated_at'") }} as updated_at,
        extracted_at as landed_at

    from source

)

select * from renamed
