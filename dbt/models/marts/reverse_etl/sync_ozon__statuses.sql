{{ config(materialized='view', post_hook=[]) }}
{#- Ozon FBS/rFBS: 1C progress → POST /v4/posting/fbs/ship (package the posting's products in one package and
    ship: awaiting_packaging → awaiting_deliver). Legal only from awaiting_packaging (docs/vendors/ozon.md); a
    cancelled posting, or one in another status, is parked with the reason before any call; one already shipped
    needs nothing. short_units (only when a pick list did not find some): the ship waits for ozon_shortages to
    cancel them at Ozon (a quantity refusal until then is retried, not parked). -#}
{{ sync_statuses('ozon', "
    select
        progress.account_id || ':' || progress.vendor_order_id as item_key,
        progress.account_id,
        case when progress.vendor_status = 'awaiting_packaging' then 'ship' end as step,
        case
            when progress.vendor_status = 'cancelled' then format(
                'Ozon cancelled posting %s while 1C says %s: Ozon refuses ship for a cancelled posting '
                || '(POSTING_ALREADY_CANCELLED); close the 1C order instead', progress.vendor_order_id,
                progress.onec_progress)
            when progress.vendor_status not in ('awaiting_packaging', 'awaiting_deliver', 'delivering',
                'driver_pickup', 'delivered', 'sent_by_seller', 'arbitration', 'client_arbitration') then format(
                'Ozon allows ship only from awaiting_packaging; posting %s is %s', progress.vendor_order_id,
                progress.vendor_status)
        end as problem,
        jsonb_build_object(
            'posting_number', progress.vendor_order_id,
            'products', (select jsonb_agg(jsonb_build_object('product_id', i -> 'sku', 'quantity', i -> 'quantity'))
                         from jsonb_array_elements(progress.items) as i)
        ) || case when progress.short_units > 0 then jsonb_build_object('short_units', progress.short_units)
            else '{}'::jsonb end as payload
    from progress
") }}
