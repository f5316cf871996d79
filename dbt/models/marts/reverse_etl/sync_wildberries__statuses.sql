{{ config(materialized='view', post_hook=[]) }}
{#- Wildberries FBS: 1C progress → supplies (docs/vendors/wildberries.md). An assembled order still `new` goes into a
    supply (POST /api/v3/supplies, PATCH /api/marketplace/v3/supplies/{id}/orders: `new` → `confirm`; one supply
    per batch the sender sends, its id kept as the item's remote_ref); an order already shipped in 1C while still
    `new` gets a supply of its own and it is delivered at once. A supply is delivered (PATCH
    /api/v3/supplies/{id}/deliver: `confirm` → `complete`) once 1C shipped every order sellerflow put into it: that
    item is keyed by the supply. A cancelled order is parked with the reason before any call. -#}
{{ sync_statuses('wildberries', "
    select
        progress.account_id || ':' || progress.vendor_order_id as item_key,
        progress.account_id,
        case when progress.vendor_status = 'new' then
            case when progress.onec_progress = 'shipped' then 'supply_deliver' else 'supply' end
        end as step,
        case
            when progress.vendor_status like 'cancel%' then format(
                'Wildberries cancelled order %s (%s) while 1C says %s: WB refuses supplies for a cancelled order '
                || '(409); close the 1C order instead', progress.vendor_order_id, progress.vendor_status,
                progress.onec_progress)
            when progress.vendor_status not in ('new', 'confirm', 'complete') then format(
                'Wildberries allows adding to a supply only from new; order %s is %s', progress.vendor_order_id,
                progress.vendor_status)
        end as problem,
        jsonb_build_object('order_id', progress.vendor_order_id::bigint) as payload
    from progress
    left join acknowledged on acknowledged.item_key = progress.account_id || ':' || progress.vendor_order_id
    where acknowledged.remote_ref is null or progress.vendor_status <> 'new'
    union all
    select
        progress.account_id || ':supply:' || acknowledged.remote_ref as item_key,
        progress.account_id,
        'deliver' as step,
        null as problem,
        jsonb_build_object(
            'supply_id', acknowledged.remote_ref,
            'orders', jsonb_agg(progress.vendor_order_id::bigint order by progress.vendor_order_id)
        ) as payload
    from progress
    join acknowledged on acknowledged.item_key = progress.account_id || ':' || progress.vendor_order_id
    where acknowledged.payload ->> 'step' = 'supply' and acknowledged.remote_ref is not null
    group by progress.account_id, acknowledged.remote_ref
    having bool_and(progress.onec_progress = 'shipped')
        and bool_and(progress.vendor_status in ('new', 'confirm'))
") }}
