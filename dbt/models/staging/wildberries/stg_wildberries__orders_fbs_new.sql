with

source as (

    {{ latest_version('wildberries', 'wildberries_orders_fbs_new') }}

),

renamed as (

    select
        account_id,
        (payload ->> 'id')::bigint as assembly_id,
        payload ->> 'rid' as order_number,
        payload ->> 'orderUid' as order_uid,
        payload ->> 'article' as offer_id,
        (payload ->> 'nmId')::bigint as nm_id,
        round((payload ->> 'convertedFinalPrice')::numeric / 100, 2) as price,
        (payload ->> 'warehouseId')::bigint as warehouse_id,
        {{ iso_time("payload ->> 'createdAt'") }} as created_at,
        extracted_at as landed_at

    from source

)

select * from renamed
