{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['document_kind', 'onec_base_id', 'document_ref'],
          indexes=[{'columns': ['marketplace', 'order_number']}, {'columns': ['document_kind', 'onec_base_id', 'document_ref']}, {'columns': ['landed_at']}],
          post_hook="{{ partial_index(['document_kind', 'onec_base_id', 'document_ref'], 'account_id is null') }}") }}
{#- 1C shipment and return lines of marketplace orders, keyed like the reconciliation: (cabinet, order number,
    product). The cabinet comes from the order number; failing that, from the only cabinet of the shipping
    legal entity on that marketplace (else null: 1C shipped an order no extracted cabinet knows). -#}
with

shipments as (

    select
        'shipment' as document_kind, onec_base_id, shipment_ref as document_ref, shipment_number as document_number,
        shipped_at as document_at, marketplace, order_number, organization_inn, product_ref, quantity, amount, landed_at
    from {{ ref('int_onec__shipment_lines_linked') }}
    where marketplace is not null and order_number is not null

),

returns as (

    select
        'return' as document_kind, onec_base_id, customer_return_ref, return_number, received_at, marketplace,
        order_number, organization_inn, product_ref, quantity, amount, landed_at
    from {{ ref('int_onec__return_lines_linked') }}
    where marketplace is not null and order_number is not null

),

lines as (

    select * from shipments
    union all
    select * from returns

),

{#- Incremental: documents landed since the last run, and those whose cabinet was unknown (the marketplace order
    may have landed since). One semi-join on their keys: an OR of IN-subqueries would stop the planner from
    joining (a subplan per row once the subquery outgrows work_mem). #}
{%- if is_incremental() %}
touched as (

    select 'shipment' as document_kind, onec_base_id, shipment_ref as document_ref
    from {{ ref('int_onec__shipment_lines_linked') }}
    where landed_at > {{ new_since() }}
    union
    select 'return', onec_base_id, customer_return_ref
    from {{ ref('int_onec__return_lines_linked') }}
    where landed_at > {{ new_since() }}
    union
    select document_kind, onec_base_id, document_ref from {{ this }} where account_id is null

),
{%- endif %}

new_lines as (

    select * from lines
    {%- if is_incremental() %}
    where (document_kind, onec_base_id, document_ref) in (select document_kind, onec_base_id, document_ref from touched)
    {%- endif %}

),

entity_accounts as (

    select marketplace, legal_entity_inn, min(account_id) as account_id
    from {{ ref('int_accounts') }}
    group by marketplace, legal_entity_inn
    having count(*) = 1

),

final as (

    select
        lines.*,
        coalesce(order_accounts.account_id, entity_accounts.account_id) as account_id,
        lines.product_ref::text as product_key
    from new_lines as lines
    left join {{ ref('int_order_accounts') }} as order_accounts
        on order_accounts.marketplace = lines.marketplace and order_accounts.order_number = lines.order_number
    left join entity_accounts
        on entity_accounts.marketplace = lines.marketplace
        and entity_accounts.legal_entity_inn = lines.organization_inn

)

select * from final
