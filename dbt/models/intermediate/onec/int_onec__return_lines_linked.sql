{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['onec_base_id', 'customer_return_ref'],
          indexes=[{'columns': ['onec_base_id', 'customer_return_ref']}, {'columns': ['landed_at']}]) }}
{#- Lines of posted, live 1C customer returns (ВозвратТоваровОтКлиента) linked through ДокументРеализации to the
    shipment and so to the marketplace order they return. -#}
with
{#- Incremental: every line of the returns that landed since the last run or whose shipment's lines did (all its
    lines: delete+insert replaces the return's lines whole). Keys first, then the lines by index: an OR across the
    joined tables would read every line before filtering. #}
{%- if is_incremental() %}

touched as (

    select onec_base_id, customer_return_ref from {{ ref('stg_onec__customer_returns') }}
    where landed_at > {{ new_since() }}
    union
    select lines.onec_base_id, lines.customer_return_ref
    from {{ ref('stg_onec__customer_return_lines') }} as lines
    inner join {{ ref('stg_onec__customer_returns') }} as returns
        on returns.onec_base_id = lines.onec_base_id and returns.customer_return_ref = lines.customer_return_ref
    where (lines.onec_base_id, coalesce(lines.shipment_ref, returns.shipment_ref)) in (
        select onec_base_id, shipment_ref from {{ ref('int_onec__shipment_lines_linked') }}
        where landed_at > {{ new_since() }}
    )

),
{%- endif %}

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
    {#- the shipment's first line: one index probe per return line, not every shipment line sorted #}
    left join lateral (
        select shipment_lines.marketplace, shipment_lines.order_number, shipment_lines.organization_inn,
            shipment_lines.landed_at
        from {{ ref('int_onec__shipment_lines_linked') }} as shipment_lines
        where shipment_lines.onec_base_id = lines.onec_base_id
            and shipment_lines.shipment_ref = coalesce(lines.shipment_ref, returns.shipment_ref)
        order by shipment_lines.line_number
        limit 1
    ) as shipments on true
    where not exists (
        select 1 from removed
        where removed.onec_base_id = lines.onec_base_id and removed.object_key = lines.customer_return_ref::text
    )
    {%- if is_incremental() %}
        and (lines.onec_base_id, lines.customer_return_ref) in (select onec_base_id, customer_return_ref from touched)
    {%- endif %}

)

select * from linked
