{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          indexes=[{'columns': ['report_line_id']}, {'columns': ['marketplace', 'order_number']}, {'columns': ['landed_at']}], post_hook='analyze {{ this }}') }}
{#- Report lines with the reconciliation key: the 1C item the SKU maps to, or 'offer:<offer_id>' when unmapped.
    Lines without an order (storage, account-level penalties) keep a null order number. -#}
select
    lines.*,
    mapping.product_ref,
    coalesce(mapping.is_mapped, false) as is_mapped,
    coalesce(mapping.product_ref::text, 'offer:' || lines.offer_id) as product_key
from {{ ref('int_marketplace__report_lines') }} as lines
left join {{ ref('int_product_mapping') }} as mapping
    on mapping.account_id = lines.account_id and mapping.offer_id = lines.offer_id
{%- if is_incremental() %}
where lines.landed_at > {{ new_since() }}
    {#- SKUs unmapped at the last run may be mapped now (an override was added) #}
    or lines.report_line_id in (select report_line_id from {{ this }} where not is_mapped)
{%- endif %}
