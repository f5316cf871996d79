{{ config(materialized="table", post_hook="{{ analyze_changed() }}") }}
{#- Every marketplace cabinet seen in raw, with its legal entity and 1C base.

    The legal entity is the seller the vendor names for the cabinet: for Wildberries the connection's ИНН when it
    names one, else common-api seller-info's tin (stg_wildberries__seller_info; never the report rows'
    ppvzSupplierInn, the pickup point's partner); for the others the report's receiver (its ИНН, from the latest
    report). A cabinet without either yet takes the 1C organization that shipped most of its orders. The 1C base and organization are the ones
    holding that ИНН (preferring the base that shipped the cabinet's orders). -#}
with

seen as (

    select marketplace, account_id from {{ ref('int_marketplace__offers') }}
    union
    select marketplace, account_id from {{ ref('int_marketplace__reports') }}
    union
    select marketplace, account_id from {{ ref('int_order_accounts') }} group by 1, 2
    {%- if 'wildberries' in var('marketplaces') %}
    union
    select 'wildberries', account_id from {{ ref('stg_wildberries__seller_info') }}
    {%- endif %}

),

reported_entity as (

    select distinct on (account_id)
        account_id, seller_inn, seller_name
    from (
        {%- if 'wildberries' in var('marketplaces') %}
        select account_id, coalesce(connection_inn, seller_inn) as seller_inn, seller_name, 0 as preference,
            null::date as period_end
        from {{ ref('stg_wildberries__seller_info') }}
        where coalesce(connection_inn, seller_inn) is not null
        union all
        {%- endif %}
        select account_id, seller_inn, seller_name, 1 as preference, period_end
        from {{ ref('int_marketplace__reports') }}
        where seller_inn is not null
    ) as named
    order by account_id, preference, period_end desc

),

{#- Who ships the cabinet's orders in 1C: a sample of its orders is enough (a cabinet belongs to one
    legal entity), and keeps this model cheap however many orders there are. -#}
shipped_by as (

    select seen.account_id, sample.onec_base_id, sample.organization_ref, sample.organization_inn
    from seen
    cross join lateral (
        select shipments.onec_base_id, shipments.organization_ref, shipments.organization_inn
        from {{ ref('int_order_accounts') }} as orders
        inner join {{ ref('int_onec__shipment_lines_linked') }} as shipments
            on shipments.marketplace = orders.marketplace and shipments.order_number = orders.order_number
        where orders.account_id = seen.account_id
        limit 200
    ) as sample

),

main_shipper as (

    select distinct on (account_id) account_id, onec_base_id, organization_ref, organization_inn
    from (
        select account_id, onec_base_id, organization_ref, organization_inn, count(*) as lines
        from shipped_by
        group by 1, 2, 3, 4
    ) as counted
    order by account_id, lines desc, onec_base_id

),

organizations as (

    select * from {{ ref('stg_onec__organizations') }}
    where not is_deleted

),

resolved as (

    select
        seen.marketplace,
        seen.account_id,
        coalesce(reported_entity.seller_inn, main_shipper.organization_inn) as legal_entity_inn,
        reported_entity.seller_name,
        main_shipper.onec_base_id as shipping_base_id
    from seen
    left join reported_entity on reported_entity.account_id = seen.account_id
    left join main_shipper on main_shipper.account_id = seen.account_id

),

final as (

    select distinct on (resolved.account_id)
        resolved.account_id,
        resolved.marketplace,
        resolved.legal_entity_inn,
        coalesce(organizations.organization_name, resolved.seller_name) as legal_entity_name,
        organizations.legal_entity_id,
        organizations.onec_base_id,
        organizations.organization_ref

    from resolved
    left join organizations on organizations.inn = resolved.legal_entity_inn
    order by
        resolved.account_id,
        (organizations.onec_base_id = resolved.shipping_base_id) desc nulls last,
        organizations.onec_base_id

)

select * from final
