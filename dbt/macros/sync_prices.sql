{#- The desired prices of one marketplace, only where they differ from what the marketplace last acknowledged
    (ops.outbox_acknowledged, target <marketplace>_prices). One item per (cabinet, vendor price item: offer, or
    the WB card). Prices come from int_reverse_etl__prices (the cabinet's 1C price type).

    A drop larger than the cabinet's price_drop_hold_share of the current price (the last acknowledged price, else
    the price the marketplace showed at its last extraction) carries a hold_reason: the outbox enqueues it held
    until `python -m sellerflow.reverse_etl approve` releases it. payload.problems non-empty: the sender parks the
    item, sends nothing.

    payload: SQL building the vendor item from the int_reverse_etl__prices row (its price is `price`). -#}
{% macro sync_prices(marketplace, payload) %}
with

desired as (

    select
        account_id || ':' || item_id as item_key,
        account_id,
        price,
        current_price,
        price_drop_hold_share,
        {{ payload }}
            || jsonb_build_object('price', price, 'problems', to_jsonb(array_remove(array[problem], null))) as payload
    from {{ ref('int_reverse_etl__prices') }}
    where marketplace = '{{ marketplace }}'

),

acknowledged as (

    select item_key, payload_hash, nullif(payload ->> 'price', '')::numeric as price
    from {{ source('reverse_etl', 'outbox_acknowledged') }}
    where target = '{{ marketplace }}_prices'

),

keyed as (

    select
        desired.item_key,
        desired.account_id,
        desired.payload,
        md5(desired.payload::text) as payload_hash,
        coalesce(acknowledged.price, desired.current_price) as current_price,
        desired.price,
        desired.price_drop_hold_share,
        acknowledged.payload_hash as acknowledged_hash
    from desired
    left join acknowledged on acknowledged.item_key = desired.item_key

),

final as (

    select
        item_key,
        account_id,
        payload,
        payload_hash,
        case when current_price > 0 and price is not null
            and price < current_price * (1 - price_drop_hold_share)
            then format(
                'price drop %s → %s (−%s%%) exceeds the cabinet''s price_drop_hold_share of %s%%: approve with '
                || '`python -m sellerflow.reverse_etl approve --key %s`', current_price, price,
                round((1 - price / current_price) * 100, 1), round(price_drop_hold_share * 100, 1), item_key)
        end as hold_reason
    from keyed
    where acknowledged_hash is distinct from payload_hash

)

select * from final order by item_key
{% endmacro %}
