{#- The seller behind each cabinet's token (common-api /api/v1/seller-info, WB 01-general getV1SellerInfo): tin is
    the seller's ИНН. connection_inn is the legal entity the cabinet's connection names, when it names one
    (stored beside the record at extraction); it wins over tin in int_accounts. -#}
with

source as (

    {{ latest_version('wildberries', 'wildberries_seller_info') }}

),

renamed as (

    select distinct on (account_id)
        account_id,
        payload ->> 'sid' as seller_sid,
        nullif(payload ->> 'tin', '') as seller_inn,
        nullif(payload ->> 'name', '') as seller_name,
        nullif(payload ->> 'tradeMark', '') as trade_mark,
        nullif(context ->> 'connection_inn', '') as connection_inn,
        extracted_at as landed_at

    from source
    order by account_id, extracted_at desc

)

select * from renamed
