{{ config(materialized='view', post_hook=[]) }}
{#- Yandex Market FBS/DBS: 1C progress (assembled or shipped) → the order's boxes (PUT
    /v2/campaigns/{campaignId}/orders/{orderId}/boxes: one box with every item) and PROCESSING/READY_TO_SHIP (PUT
    .../orders/{orderId}/status). Legal only from PROCESSING/STARTED (docs/vendors/yandex_market.md); Market sets
    SHIPPED itself at hand-over. A cancelled order, or one in another status (UNPAID, PENDING…), is parked with the
    reason before any call; one already READY_TO_SHIP or beyond needs nothing. Units a finished TSD pick list did not
    find are left out of the box and allow_remove is set (the layout's allowRemove removes them, irreversibly). -#}
{{ sync_statuses('yandex_market', "
    select
        progress.account_id || ':' || progress.vendor_order_id as item_key,
        progress.account_id,
        case when progress.vendor_status = 'PROCESSING/STARTED' then 'ready_to_ship' end as step,
        case
            when progress.vendor_status like 'CANCELLED%' then format(
                'Yandex Market cancelled order %s (%s) while 1C says %s: a cancelled order cannot become '
                || 'READY_TO_SHIP (400); close the 1C order instead', progress.vendor_order_id,
                progress.vendor_status, progress.onec_progress)
            when progress.vendor_status not like 'PROCESSING/%'
                and split_part(progress.vendor_status, '/', 1) not in ('DELIVERY', 'PICKUP', 'DELIVERED')
                or progress.vendor_status not in ('PROCESSING/STARTED', 'PROCESSING/READY_TO_SHIP',
                    'PROCESSING/SHIPPED') and progress.vendor_status like 'PROCESSING/%' then format(
                'Yandex Market allows READY_TO_SHIP only from PROCESSING/STARTED; order %s is %s',
                progress.vendor_order_id, progress.vendor_status)
        end as problem,
        jsonb_build_object(
            'order_id', progress.vendor_order_id::bigint, 'campaign_id', progress.campaign_id::bigint,
            'items', (select jsonb_agg(jsonb_build_object('id', i -> 'id', 'fullCount', i -> 'quantity'))
                      from jsonb_array_elements(progress.items) as i)
        ) || case when progress.short_units > 0 then jsonb_build_object('allow_remove', true) else '{}'::jsonb end
            as payload
    from progress
") }}
