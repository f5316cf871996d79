{{ config(materialized="table", post_hook="{{ analyze_changed() }}") }}
{#- Marketplace SKU → 1C item (Номенклатура), per cabinet and warehouse, in the cabinet's 1C base.

    Rule: an override from the seed product_mapping_overrides, else offer_id = Артикул. A row with
    warehouse_id '' holds for every warehouse of the cabinet; an override limited to one warehouse adds a row
    of that warehouse_id, which wins for lines of that warehouse (macros join_product_mapping / mapped). No other guess: an SKU
    whose article matches no live item (or several) stays unmapped, with the reason, and is listed in
    marts.unmapped_products (with a barcode candidate for a person to confirm). -#}
with

offers as (

    select marketplace, account_id, offer_id from {{ ref('int_marketplace__offers') }}
    union
    select marketplace, account_id, offer_id from {{ ref('int_marketplace__seen_offers') }}

),

accounts as (

    select * from {{ ref('int_accounts') }}

),

overrides as (

    select account_id, coalesce(warehouse_id, '') as warehouse_id, offer_id, onec_base_id, article
    from {{ ref('product_mapping_overrides') }}

),

products as (

    select * from {{ ref('stg_onec__products') }}
    where not is_deleted

),

candidates as (

    select
        offers.marketplace,
        offers.account_id,
        '' as warehouse_id,
        offers.offer_id,
        coalesce(overrides.onec_base_id, accounts.onec_base_id) as onec_base_id,
        case when overrides.offer_id is not null then 'override' else 'article' end as mapping_source,
        coalesce(overrides.article, offers.offer_id) as article
    from offers
    left join accounts on accounts.account_id = offers.account_id
    left join overrides
        on overrides.account_id = offers.account_id and overrides.offer_id = offers.offer_id
        and overrides.warehouse_id = ''
    union all
    select
        accounts.marketplace,
        overrides.account_id,
        overrides.warehouse_id,
        overrides.offer_id,
        coalesce(overrides.onec_base_id, accounts.onec_base_id),
        'override',
        overrides.article
    from overrides
    left join accounts on accounts.account_id = overrides.account_id
    where overrides.warehouse_id <> ''

),

matched as (

    select
        candidates.*,
        count(products.product_ref) as matches,
        min(products.product_ref::text)::uuid as product_ref
    from candidates
    left join products
        on products.onec_base_id = candidates.onec_base_id and products.article = candidates.article
    group by 1, 2, 3, 4, 5, 6, 7

),

final as (

    select
        marketplace,
        account_id,
        warehouse_id,
        offer_id,
        onec_base_id,
        case when matches = 1 then product_ref end as product_ref,
        matches = 1 as is_mapped,
        mapping_source,
        case
            when onec_base_id is null then 'no_onec_base'
            when matches = 0 then 'no_article_match'
            when matches > 1 then 'ambiguous_article'
        end as unmapped_reason

    from matched

)

select * from final
