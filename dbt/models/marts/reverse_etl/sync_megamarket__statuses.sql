{{ config(materialized='view', post_hook=[]) }}
{#- Megamarket: 1C progress → the shipment's next legal steps in order (docs/vendors/megamarket.md): NEW → order/confirm
    → CONFIRMED → order/packing (every lot in one box) → PACKED → order/shipping (once 1C shipped it). One item
    carries every step from the current status to what 1C says (e.g. NEW and assembled: confirm, packing); the
    sender stops at the first refusal. A cancelled shipment, or one in another status, is parked with the reason
    before any call; one already at or beyond the step needs nothing. -#}
{{ sync_statuses('megamarket', "
    select
        progress.account_id || ':' || progress.vendor_order_id as item_key,
        progress.account_id,
        case
            when progress.vendor_status = 'NEW' and progress.onec_progress = 'shipped' then 'confirm,packing,shipping'
            when progress.vendor_status = 'NEW' then 'confirm,packing'
            when progress.vendor_status = 'CONFIRMED' and progress.onec_progress = 'shipped' then 'packing,shipping'
            when progress.vendor_status = 'CONFIRMED' then 'packing'
            when progress.vendor_status = 'PACKED' and progress.onec_progress = 'shipped' then 'shipping'
        end as step,
        case
            when progress.vendor_status like '%CANCELED' then format(
                'Megamarket cancelled shipment %s (%s) while 1C says %s: packing and shipping are refused for a '
                || 'cancelled shipment; close the 1C order instead', progress.vendor_order_id,
                progress.vendor_status, progress.onec_progress)
            when progress.vendor_status not in ('NEW', 'CONFIRMED', 'PACKED', 'SHIPPED', 'DELIVERED')
                and progress.vendor_status not like 'PENDING%' then format(
                'Megamarket allows packing only from CONFIRMED and shipping only from PACKED; shipment %s is %s',
                progress.vendor_order_id, progress.vendor_status)
        end as problem,
        jsonb_build_object(
            'shipment_id', progress.vendor_order_id, 'order_code', progress.order_number,
            'items', (select jsonb_agg(jsonb_build_object('itemIndex', i ->> 'item_index', 'offerId', i ->> 'offer_id'))
                      from jsonb_array_elements(progress.items) as i)
        ) as payload
    from progress
") }}
