{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          on_schema_change='append_new_columns',
          indexes=[{'columns': ['report_line_id']}, {'columns': ['marketplace', 'order_number']}, {'columns': ['landed_at']}],
          post_hook="{{ partial_index(['report_line_id'], 'not is_mapped') }}") }}
{#- Report lines with the reconciliation key: the 1C item the SKU maps to, or 'offer:<offer_id>' when unmapped.
    Lines without an order (storage, account-level penalties) keep a null order number. A report line names no
    warehouse: where the SKU has a warehouse-specific mapping, the warehouse is the one its order line shipped
    from. -#}
with

lines as (

    select * from {{ ref('int_marketplace__report_lines') }}
    {%- if is_incremental() %}
    {#- landed since the last run, or unmapped then (an override may map the SKU now): one semi-join #}
    where report_line_id in (
        select report_line_id from {{ ref('int_marketplace__report_lines') }} where landed_at > {{ new_since() }}
        union
        select report_line_id from {{ this }} where not is_mapped
    )
    {%- endif %}

),

warehouse_overrides as (

    select distinct account_id, offer_id from {{ ref('int_product_mapping') }} where warehouse_id <> ''

),

located as (

    select
        lines.*,
        {#- the order lines are read only for SKUs that have a warehouse override (CASE evaluates lazily) #}
        case when (lines.account_id, lines.offer_id) in (select account_id, offer_id from warehouse_overrides) then (
            select min(orders.warehouse_id) from {{ ref('int_marketplace__order_lines') }} as orders
            where orders.account_id = lines.account_id and orders.order_number = lines.order_number
                and orders.offer_id = lines.offer_id
        ) end as warehouse_id
    from lines

)

select
    located.*,
    {{ mapped('product_ref') }} as product_ref,
    coalesce({{ mapped('is_mapped') }}, false) as is_mapped,
    coalesce({{ mapped('product_ref') }}::text, 'offer:' || located.offer_id) as product_key
from located
{{ join_product_mapping('located', 'located.warehouse_id') }}
