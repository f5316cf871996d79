with

source as (

    {{ latest_version('wildberries', 'wildberries_stocks') }}

),

renamed as (

    select
        account_id,
        split_part(natural_key, ':', 1)::bigint as warehouse_id,
        (payload ->> 'chrtId')::bigint as chrt_id,
        (payload ->> 'amount')::numeric as quantity,
        extracted_at as landed_at

    from source

)

select * from renamed
