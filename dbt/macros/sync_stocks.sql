{#- The desired stock of one marketplace, only where it differs from what the marketplace last acknowledged
    (ops.outbox_acknowledged, target <marketplace>_stocks). One item per (cabinet, marketplace warehouse, offer).
    Free stock comes from int_reverse_etl__free_stock (1C in stock − reserved − orders after the snapshot −
    safety buffer, never negative). An SKU that was published before and is no longer desired (the offer or its
    mapping is gone) is published as 0. payload.problems non-empty: the sender parks the item, sends nothing.

    payload: SQL building the vendor item from the free-stock row; extra_problem: SQL of one more problem text
    (null when there is none). -#}
{% macro sync_stocks(marketplace, payload, extra_problem='null::text') %}
with

desired as (

    select
        account_id || ':' || mp_warehouse_id || ':' || offer_id as item_key,
        account_id,
        {{ payload }}
            || jsonb_build_object('problems', to_jsonb(array_remove(array[problem, {{ extra_problem }}], null))) as payload
    from {{ ref('int_reverse_etl__free_stock') }}
    where marketplace = '{{ marketplace }}'

),

acknowledged as (

    select item_key, account_id, payload, payload_hash
    from {{ source('reverse_etl', 'outbox_acknowledged') }}
    where target = '{{ marketplace }}_stocks'

),

vanished as (

    select
        acknowledged.item_key,
        acknowledged.account_id,
        jsonb_set(acknowledged.payload, '{stock}', '0'::jsonb) as payload
    from acknowledged
    where coalesce((acknowledged.payload ->> 'stock')::int, 0) > 0
        and not exists (select 1 from desired where desired.item_key = acknowledged.item_key)

),

keyed as (

    select item_key, account_id, payload, md5(payload::text) as payload_hash
    from (select * from desired union all select * from vanished) as rows

),

final as (

    select keyed.*
    from keyed
    left join acknowledged on acknowledged.item_key = keyed.item_key
    where acknowledged.payload_hash is distinct from keyed.payload_hash

)

select * from final order by item_key
{% endmacro %}
