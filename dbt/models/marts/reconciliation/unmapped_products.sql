{#- Marketplace SKUs that map to no 1C item (or to several), per cabinet, with how many reconciliation lines they
    leave unmatched and a barcode candidate for a person to confirm (added to seed product_mapping_overrides).
    The candidate is a hint, never a mapping: the reconciliation uses it only to pair an unmapped SKU's report
    line with the 1C shipment of the same order (one unmapped_product line, int_unmapped_offer_candidates). -#}
with

unmapped as (

    select * from {{ ref('int_product_mapping') }}
    where not is_mapped

),

offers as (

    select * from {{ ref('int_marketplace__offers') }}

),

accounts as (

    select * from {{ ref('int_accounts') }}

),

candidates as (

    select * from {{ ref('int_unmapped_offer_candidates') }}

),

lines as (

    select account_id, offer_id, count(*) as order_lines, min(ordered_at) as first_ordered_at
    from {{ ref('reconciliation_order_lines') }}
    where not is_mapped and offer_id is not null
    group by 1, 2

),

final as (

    select
        unmapped.marketplace,
        unmapped.account_id,
        accounts.legal_entity_inn,
        nullif(unmapped.warehouse_id, '') as warehouse_id,
        unmapped.offer_id,
        offers.product_name as marketplace_product_name,
        offers.barcodes,
        unmapped.onec_base_id,
        unmapped.unmapped_reason,
        candidates.candidate_article,
        candidates.candidate_product_name,
        coalesce(lines.order_lines, 0) as order_lines

    from unmapped
    left join offers on offers.account_id = unmapped.account_id and offers.offer_id = unmapped.offer_id
    left join accounts on accounts.account_id = unmapped.account_id
    left join candidates on candidates.account_id = unmapped.account_id and candidates.offer_id = unmapped.offer_id
    left join lines on lines.account_id = unmapped.account_id and lines.offer_id = unmapped.offer_id

)

select * from final
