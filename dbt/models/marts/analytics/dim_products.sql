{#- 1C items (Номенклатура) per base with their barcodes, cost price and the SKUs they are sold as. -#}
with

products as (

    select * from {{ ref('stg_onec__products') }}

),

cost_prices as (

    select prices.onec_base_id, prices.product_ref, max(prices.price) as cost_price
    from {{ ref('stg_onec__prices') }} as prices
    inner join {{ ref('stg_onec__price_types') }} as price_types
        on price_types.onec_base_id = prices.onec_base_id and price_types.price_type_ref = prices.price_type_ref
    where price_types.price_type_name = '{{ var("cost_price_type") }}' and prices.characteristic_ref is null
    group by 1, 2

),

barcodes as (

    select onec_base_id, product_ref, array_agg(barcode order by barcode) as barcodes
    from {{ ref('stg_onec__barcodes') }}
    group by 1, 2

),

offers as (

    select mapping.onec_base_id, mapping.product_ref, count(distinct (mapping.account_id, mapping.offer_id)) as marketplace_skus
    from {{ ref('int_product_mapping') }} as mapping
    where mapping.is_mapped
    group by 1, 2

)

select
    md5(products.onec_base_id || '|' || products.product_ref::text) as product_id,
    products.onec_base_id,
    products.product_ref,
    products.product_code,
    products.product_name,
    products.article,
    products.is_deleted,
    barcodes.barcodes,
    cost_prices.cost_price,
    coalesce(offers.marketplace_skus, 0) as marketplace_skus
from products
left join barcodes using (onec_base_id, product_ref)
left join cost_prices using (onec_base_id, product_ref)
left join offers using (onec_base_id, product_ref)
