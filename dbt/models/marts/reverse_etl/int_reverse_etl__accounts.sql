{{ config(materialized='view', post_hook=[]) }}
{#- The marketplace cabinets' reverse-ETL settings, parsed once from ops.reverse_etl_accounts (written by the push
    DAGs from the Airflow connections, sellerflow.reverse_etl.accounts), for every reverse-ETL model:

    - 1C: onec_base_id, organization_ref, partner_ref / contractor_ref, commissioner_inn (the marketplace operator's
      ИНН, var marketplace_commissioner_inn by default), warehouse_refs (marketplace warehouse id → Catalog_Склады);
    - stock: buffer_default (stock_safety_buffer, var stock_safety_buffer) and buffer_by_offer;
    - prices: price_type_name (the 1C Catalog_ВидыЦен published to this cabinet: extra onec_price_type, else
      var marketplace_price_types by marketplace) and price_drop_hold_share (extra price_drop_hold_share, else var
      price_drop_hold_share: a drop larger than this share of the current price waits for approval);
    - orders_since: the horizon of the hot path's new-order lists (var reservation_horizon_days): raw rows landed
      before it are not read, so the views' cost does not grow with history. -#}
{%- set DEFAULT_INN = {'ozon': '7704217370', 'wildberries': '7721546864', 'yandex_market': '9704254424',
                       'megamarket': '9701048328'} %}
{%- set DEFAULT_PRICE_TYPES = {'ozon': 'Ozon', 'wildberries': 'Wildberries', 'yandex_market': 'Яндекс Маркет',
                               'megamarket': 'Мегамаркет'} %}
with

settings as (

    select account_id, marketplace, settings
    from {{ source('reverse_etl', 'reverse_etl_accounts') }}

),

final as (

    select
        account_id,
        marketplace,
        settings ->> 'onec_base' as onec_base_id,
        nullif(settings ->> 'organization_key', '')::uuid as organization_ref,
        nullif(settings ->> 'partner_key', '')::uuid as partner_ref,
        nullif(settings ->> 'contractor_key', '')::uuid as contractor_ref,
        coalesce(
            nullif(settings ->> 'commissioner_inn', ''),
            case marketplace
                {%- for mp, inn in var('marketplace_commissioner_inn', DEFAULT_INN).items() %}
                when '{{ mp }}' then '{{ inn }}'
                {%- endfor %}
            end
        ) as commissioner_inn,
        coalesce(settings -> 'warehouse_onec_refs', '{}'::jsonb) as warehouse_refs,
        coalesce(
            nullif(settings ->> 'stock_safety_buffer', '')::int, {{ var('stock_safety_buffer', 0) }}
        ) as buffer_default,
        coalesce(settings -> 'stock_safety_buffer_by_offer', '{}'::jsonb) as buffer_by_offer,
        coalesce(
            nullif(settings ->> 'price_type', ''),
            case marketplace
                {%- for mp, name in var('marketplace_price_types', DEFAULT_PRICE_TYPES).items() %}
                when '{{ mp }}' then '{{ name }}'
                {%- endfor %}
            end
        ) as price_type_name,
        coalesce(
            nullif(settings ->> 'price_drop_hold_share', '')::numeric, {{ var('price_drop_hold_share', 0.2) }}
        ) as price_drop_hold_share,
        now() - make_interval(days => {{ var('reservation_horizon_days', 2) }}) as orders_since
    from settings

)

select * from final
