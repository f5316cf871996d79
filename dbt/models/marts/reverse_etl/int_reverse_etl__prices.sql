{{ config(materialized='view', post_hook=[]) }}
{#- The price each marketplace cabinet should show, per vendor price item: the base of the four
    sync_<marketplace>__prices models (they shape the payload and diff it against what the vendor acknowledged).

    price = the 1C price (InformationRegister ЦеныНоменклатуры, the latest record in force, no characteristic) of
    the cabinet's price type (int_reverse_etl__accounts.price_type_name: extra onec_price_type or var
    marketplace_price_types) for the 1C item the SKU maps to (int_product_mapping, as the marts).

    A vendor price item is one offer (Ozon, Yandex Market, Megamarket) or one card (Wildberries: the nmID, whose
    sizes share one price; the highest 1C price of its sizes is taken and a difference is reported as a problem).
    Wildberries and Megamarket take whole roubles (docs/vendors/*.md): the price is rounded there. The 1C price is
    the price the buyer pays before the marketplace's own co-financing: on Wildberries it is sent with the seller's
    discount 0 (WB's current price here is its discountedPrice).

    current_price: what the marketplace showed when it was last read (its price extraction), for the drop check of
    the sync models when nothing was acknowledged yet. problem: why the price is not published (unmapped SKU, no
    1C price of that type). -#}
with

accounts as (

    select * from {{ ref('int_reverse_etl__accounts') }}

),

onec_prices as (

    select distinct on (prices.onec_base_id, prices.product_ref, types.price_type_name)
        prices.onec_base_id,
        prices.product_ref,
        types.price_type_name,
        prices.price
    from {{ ref('stg_onec__prices') }} as prices
    join {{ ref('stg_onec__price_types') }} as types
        on types.onec_base_id = prices.onec_base_id and types.price_type_ref = prices.price_type_ref
    where prices.characteristic_ref is null and not types.is_deleted and prices.valid_from <= now()
    order by prices.onec_base_id, prices.product_ref, types.price_type_name, prices.valid_from desc

),

offers as (

    select
        offers.account_id,
        offers.marketplace,
        offers.offer_id,
        max(offers.mp_sku) as mp_sku
    from {{ ref('int_marketplace__offers') }} as offers
    join accounts on accounts.account_id = offers.account_id
    group by 1, 2, 3

),

mapped as (

    select
        offers.*,
        {{ mapped('product_ref') }} as product_ref,
        {{ mapped('unmapped_reason') }} as unmapped_reason
    from offers
    {{ join_product_mapping('offers', "''") }}

),

priced as (

    select
        mapped.account_id,
        mapped.marketplace,
        case when mapped.marketplace = 'wildberries' then mapped.mp_sku::text else mapped.offer_id end as item_id,
        mapped.offer_id,
        mapped.mp_sku,
        accounts.price_type_name,
        accounts.price_drop_hold_share,
        case when mapped.marketplace in ('wildberries', 'megamarket') then round(onec_prices.price)
            else onec_prices.price end as price,
        case
            when mapped.product_ref is null then format(
                'SKU %s is not mapped to a 1C item (%s): add it to seeds/product_mapping_overrides.csv or give the '
                || '1C item that Артикул; its price is not published', mapped.offer_id,
                coalesce(mapped.unmapped_reason, 'not known yet'))
            when onec_prices.price is null then format(
                'the 1C item of SKU %s has no price of type «%s» in base %s: set it in 1C (or choose the price '
                || 'type with the connection extra onec_price_type)', mapped.offer_id, accounts.price_type_name,
                accounts.onec_base_id)
            when onec_prices.price <= 0 then format('the 1C price of SKU %s is not positive', mapped.offer_id)
        end as problem
    from mapped
    join accounts on accounts.account_id = mapped.account_id
    left join onec_prices
        on onec_prices.onec_base_id = accounts.onec_base_id
        and onec_prices.product_ref = mapped.product_ref
        and onec_prices.price_type_name = accounts.price_type_name

),

vendor_prices as (

    select 'ozon' as marketplace, account_id, offer_id as item_id, price from {{ ref('stg_ozon__prices') }}
    union all
    select 'wildberries', account_id, nm_id::text, discounted_price from {{ ref('stg_wildberries__prices') }}
    union all
    select 'yandex_market', account_id, offer_id, price from {{ ref('stg_yandex_market__prices') }}
    union all
    select 'megamarket', account_id, offer_id, price from {{ ref('stg_megamarket__prices') }}

),

final as (

    select
        priced.marketplace,
        priced.account_id,
        priced.item_id,
        min(priced.offer_id) as offer_id,
        max(priced.mp_sku) as mp_sku,
        max(priced.price_type_name) as price_type_name,
        max(priced.price_drop_hold_share) as price_drop_hold_share,
        max(priced.price) as price,
        max(vendor_prices.price) as current_price,
        coalesce(
            string_agg(distinct priced.problem, '; '),
            case when count(distinct priced.price) > 1 then format(
                'the sizes of card %s have different 1C prices (%s): Wildberries takes one price per card',
                priced.item_id, string_agg(distinct priced.price::text, ', ')) end
        ) as problem
    from priced
    left join vendor_prices
        on vendor_prices.marketplace = priced.marketplace
        and vendor_prices.account_id = priced.account_id
        and vendor_prices.item_id = priced.item_id
    group by 1, 2, 3

)

select * from final
