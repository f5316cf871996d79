{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'customer_return_ref'],
          indexes=[{'columns': ['onec_base_id', 'customer_return_ref']}, {'columns': ['landed_at']}]) }}
{#- Lines of posted, live 1C customer returns (ВозвратТоваровОтКлиента) linked through ДокументРеализации to the
    shipment and so to the marketplace order they return. -#}
with

returns as (

    select * from {{ ref('stg_onec__customer_returns') }}
    where is_posted and not is_deleted

),

removed as (

    select onec_base_id, object_key
    from {{ ref('stg_onec__removals') }}
    where is_removed and entity = 'customer_returns'

),

lines as (

    select * from {{ ref('stg_onec__customer_return_lines') }}

),

shipments as (

    select distinct on (onec_base_id, shipment_ref)
        onec_base_id, shipment_ref, marketplace, order_number, organization_inn, landed_at
    from {{ ref('int_onec__shipment_lines_linked') }}
    order by onec_base_id, shipment_ref, line_number

),

linked as (

    select
        lines.onec_base_id,
        lines.customer_return_ref,
        lines.line_number,
        returns.document_number as return_number,
        returns.received_at,
        coalesce(lines.shipment_ref, returns.shipment_ref) as shipment_ref,
        shipments.marketplace,
        shipments.order_number,
        shipments.organization_inn,
        lines.product_ref,
        lines.quantity,
        lines.amount,
        greatest(returns.landed_at, shipments.landed_at) as landed_at

    from lines
    inner join returns
        on returns.onec_base_id = lines.onec_base_id and returns.customer_return_ref = lines.customer_return_ref
    left join shipments
        on shipments.onec_base_id = lines.onec_base_id
        and shipments.shipment_ref = coalesce(lines.shipment_ref, returns.shipment_ref)
    where not exists (
        select 1 from removed
        where removed.onec_base_id = lines.onec_base_id and removed.object_key = lines.customer_return_ref::text
    )
    {%- if is_incremental() %}
        and (returns.landed_at > {{ new_since() }} or shipments.landed_at > {{ new_since() }})
    {%- endif %}

)

select * from linked
