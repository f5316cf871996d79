{#- Marketplace order lines (one per cabinet, posting, SKU) with the 1C item and the 1C shipment. -#}
{{ config(materialized='incremental', unique_key='order_line_id', on_schema_change='sync_all_columns') }}
with

lines as (

    select * from {{ ref('int_marketplace__order_lines') }}

),

shipped as (

    select account_id, order_number, product_key, min(document_at) as shipped_at
    from {{ ref('int_onec_lines_keyed') }}
    where document_kind = 'shipment'
    group by 1, 2, 3

),

final as (

    select
        md5(lines.account_id || '|' || lines.posting_number || '|' || lines.offer_id) as order_line_id,
        lines.marketplace,
        lines.account_id,
        lines.order_number,
        lines.posting_number,
        lines.offer_id,
        {{ mapped('product_ref') }} as product_ref,
        coalesce({{ mapped('is_mapped') }}, false) as is_mapped,
        lines.scheme,
        lines.vendor_status,
        lines.order_status,
        lines.created_at,
        lines.created_at::date as order_date,
        lines.warehouse_id,
        lines.quantity,
        lines.amount,
        shipped.shipped_at,
        round(extract(epoch from shipped.shipped_at - lines.created_at)::numeric / 3600, 2) as hours_to_shipment

    from lines
    {{ join_product_mapping('lines', 'lines.warehouse_id') }}
    left join shipped
        on shipped.account_id = lines.account_id
        and shipped.order_number = lines.order_number
        and shipped.product_key = coalesce({{ mapped('product_ref') }}::text, 'offer:' || lines.offer_id)

)

select * from final
{% if is_incremental() %}
where not exists (
    select 1 from {{ this }} as existing
    where existing.order_line_id = final.order_line_id
        and existing.order_status = final.order_status
        and existing.shipped_at is not distinct from final.shipped_at
        and existing.product_ref is not distinct from final.product_ref
)
{% endif %}
