with

source as (

    {{ latest_version('wildberries', 'wildberries_products') }}

),

renamed as (

    select
        account_id,
        payload ->> 'vendorCode' as offer_id,
        (payload ->> 'nmID')::bigint as nm_id,
        (payload ->> 'imtID')::bigint as imt_id,
        payload ->> 'title' as product_name,
        payload ->> 'brand' as brand,
        array(
            select jsonb_array_elements_text(size.value -> 'skus')
            from jsonb_array_elements(coalesce(payload -> 'sizes', '[]'::jsonb)) as size
        ) as barcodes,
        (payload -> 'sizes' -> 0 ->> 'chrtID')::bigint as chrt_id,
        {{ iso_time("payload ->> 'createdAt'") }} as created_at,
        {{ iso_time("payload ->> 'updatedAt'") }} as updated_at,
        extracted_at as landed_at

    from source

)

select * from renamed
