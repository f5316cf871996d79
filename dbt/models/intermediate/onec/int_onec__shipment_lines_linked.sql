{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'shipment_ref'],
          indexes=[{'columns': ['onec_base_id', 'shipment_ref']}, {'columns': ['marketplace', 'order_number']}, {'columns': ['landed_at']}]) }}
{#- Lines of posted, live 1C shipments (РеализацияТоваровУслуг) linked to the marketplace order they fulfil:
    ЗаказКлиента.НомерПоДаннымКлиента is the marketplace order number, the counterparty's ИНН names the
    marketplace (seed marketplace_counterparties). Shipments to other clients have marketplace null. -#}
with
{#- Incremental: every line of the shipments whose header, or a customer order one of its lines is linked to, landed
    since the last run (all its lines: delete+insert replaces the shipment's lines whole). Keys first, then the
    lines by index: an OR across the joined tables would join every line before filtering. #}
{%- if is_incremental() %}

touched as (

    select onec_base_id, shipment_ref from {{ ref('stg_onec__shipments') }} where landed_at > {{ new_since() }}
    union
    select lines.onec_base_id, lines.shipment_ref
    from {{ ref('stg_onec__shipment_lines') }} as lines
    inner join {{ ref('stg_onec__customer_orders') }} as customer_orders
        on customer_orders.onec_base_id = lines.onec_base_id
        and customer_orders.customer_order_ref = lines.customer_order_ref
    where customer_orders.landed_at > {{ new_since() }}

),
{%- endif %}

shipments as (

    select * from {{ ref('stg_onec__shipments') }}
    where is_posted and not is_deleted

),

removed as (

    select onec_base_id, object_key
    from {{ ref('stg_onec__removals') }}
    where is_removed and entity = 'shipments'

),

lines as (

    select * from {{ ref('stg_onec__shipment_lines') }}

),

customer_orders as (

    select * from {{ ref('stg_onec__customer_orders') }}

),

counterparties as (

    select * from {{ ref('stg_onec__counterparties') }}

),

marketplaces as (

    select * from {{ ref('marketplace_counterparties') }}

),

organizations as (

    select * from {{ ref('stg_onec__organizations') }}

),

linked as (

    select
        lines.onec_base_id,
        lines.shipment_ref,
        lines.line_number,
        shipments.document_number as shipment_number,
        shipments.shipped_at,
        lines.customer_order_ref,
        customer_orders.client_order_number,
        marketplaces.marketplace,
        {{ order_number('marketplaces.marketplace', 'customer_orders.client_order_number') }} as order_number,
        shipments.organization_ref,
        organizations.inn as organization_inn,
        organizations.legal_entity_id,
        coalesce(lines.warehouse_ref, shipments.warehouse_ref) as warehouse_ref,
        lines.product_ref,
        lines.characteristic_ref,
        lines.quantity,
        lines.amount,
        lines.vat_amount,
        greatest(shipments.landed_at, customer_orders.landed_at) as landed_at

    from lines
    inner join shipments
        on shipments.onec_base_id = lines.onec_base_id and shipments.shipment_ref = lines.shipment_ref
    left join customer_orders
        on customer_orders.onec_base_id = lines.onec_base_id
        and customer_orders.customer_order_ref = lines.customer_order_ref
    left join counterparties
        on counterparties.onec_base_id = shipments.onec_base_id
        and counterparties.counterparty_ref = coalesce(shipments.counterparty_ref, customer_orders.counterparty_ref)
    left join marketplaces on marketplaces.inn = counterparties.inn
    left join organizations
        on organizations.onec_base_id = shipments.onec_base_id
        and organizations.organization_ref = shipments.organization_ref
    where not exists (
        select 1 from removed
        where removed.onec_base_id = lines.onec_base_id and removed.object_key = lines.shipment_ref::text
    )
    {%- if is_incremental() %}
        and (lines.onec_base_id, lines.shipment_ref) in (select onec_base_id, shipment_ref from touched)
    {%- endif %}

)

select * from linked
