{#- For each marketplace SKU that maps to no 1C item: the one 1C item sharing its barcode, when exactly one does
    (docs/architecture.md "Reconciliation": anything unmapped is reported, never guessed). The candidate is not a
    mapping: it only pairs an unmapped SKU's report line with the 1C shipment line of the same order, so the
    accountant sees one unmapped_product line instead of a missing/reported_not_shipped pair, and it is the hint
    marts.unmapped_products offers for the mapping to add. -#}
with

unmapped as (

    select * from {{ ref('int_product_mapping') }}
    where not is_mapped

),

offers as (

    select * from {{ ref('int_marketplace__offers') }}

),

barcodes as (

    select * from {{ ref('stg_onec__barcodes') }}

),

products as (

    select * from {{ ref('stg_onec__products') }}

),

candidates as (

    select
        unmapped.account_id,
        unmapped.offer_id,
        min(products.product_ref::text)::uuid as candidate_product_ref,
        min(products.article) as candidate_article,
        min(products.product_name) as candidate_product_name,
        count(distinct products.product_ref) as candidates
    from unmapped
    inner join offers on offers.account_id = unmapped.account_id and offers.offer_id = unmapped.offer_id
    inner join barcodes
        on barcodes.onec_base_id = unmapped.onec_base_id and barcodes.barcode = any(offers.barcodes)
    inner join products
        on products.onec_base_id = barcodes.onec_base_id and products.product_ref = barcodes.product_ref
    group by 1, 2

)

select account_id, offer_id, candidate_product_ref, candidate_article, candidate_product_name
from candidates
where candidates = 1
