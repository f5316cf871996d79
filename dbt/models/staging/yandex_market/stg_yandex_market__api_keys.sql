with

source as (

    {{ latest_version('yandex_market', 'yandex_market_api_keys') }}

),

renamed as (

    select
        account_id,
        natural_key as api_key_name,
        array(select jsonb_array_elements_text(coalesce(payload -> 'authScopes', '[]'::jsonb))) as scopes,
        extracted_at as landed_at

    from source

)

select * from renamed
