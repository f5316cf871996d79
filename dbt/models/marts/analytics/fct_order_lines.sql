{#- Marketplace order lines (one per cabinet, posting, SKU) with the 1C item and the 1C shipment. -#}
{{ config(materialized='incremental', unique_key='order_line_id', on_schema_change='sync_all_columns',
          indexes=[{'columns': ['order_line_id']}, {'columns': ['account_id', 'order_number']}, {'columns': ['landed_at']}],
          post_hook="{{ partial_index(['marketplace', 'order_number'], 'not is_mapped') }}") }}
{#- Incremental: the orders with a line landed since the last run, a 1C document landed since, or a line unmapped
    then (an override may map it now) — one semi-join on the order numbers (an OR of IN-subqueries would stop the
    planner from joining). #}
with
{% if is_incremental() %}
touched as (

    select marketplace, order_number from {{ ref('int_marketplace__order_lines') }} where landed_at > {{ new_since() }}
    union
    select marketplace, order_number from {{ ref('int_onec_lines_keyed') }} where landed_at > {{ new_since() }}
    union
    select marketplace, order_number from {{ this }} where not is_mapped

),
{% endif %}
lines as (

    select * from {{ ref('int_marketplace__order_lines') }}
    {%- if is_incremental() %}
    where (marketplace, order_number) in (select marketplace, order_number from touched)
    {%- endif %}

),

shipped as (

    select account_id, order_number, product_key, min(document_at) as shipped_at, max(landed_at) as landed_at
    from {{ ref('int_onec_lines_keyed') }}
    where document_kind = 'shipment'
    {%- if is_incremental() %}
        and (marketplace, order_number) in (select marketplace, order_number from lines)
    {%- endif %}
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
        round(extract(epoch from shipped.shipped_at - lines.created_at)::numeric / 3600, 2) as hours_to_shipment,
        greatest(lines.landed_at, shipped.landed_at) as landed_at

    from lines
    {{ join_product_mapping('lines', 'lines.warehouse_id') }}
    left join shipped
        on shipped.account_id = lines.account_id
        and shipped.order_number = lines.order_number
        and shipped.product_key = coalesce({{ mapped('product_ref') }}::text, 'offer:' || lines.offer_id)

)

select * from final
