{#- The next legal status step of one marketplace's orders, only where it differs from what the marketplace last
    acknowledged (ops.outbox_acknowledged, target <marketplace>_statuses). One item per vendor order (Ozon posting,
    WB assembly task, YM order, MM shipment) unless the caller's `rows` SQL keys them otherwise (WB supplies).

    rows: SQL over int_reverse_etl__order_progress rows of this marketplace (`progress`) and the acknowledged
    states (`acknowledged`) returning item_key, account_id, step (the vendor transition to ask for; null: nothing
    to do), problem (why the transition 1C asks for is illegal at the vendor now: the item is parked with it
    before any call) and payload (what the vendor call needs). A row with neither step nor problem is dropped. -#}
{% macro sync_statuses(marketplace, rows) %}
with

progress as (

    select * from {{ ref('int_reverse_etl__order_progress') }}
    where marketplace = '{{ marketplace }}'

),

acknowledged as (

    select item_key, payload, payload_hash, remote_ref
    from {{ source('reverse_etl', 'outbox_acknowledged') }}
    where target = '{{ marketplace }}_statuses'

),

decided as (

    {{ rows }}

),

keyed as (

    select
        item_key,
        account_id,
        payload || jsonb_build_object(
            'step', step, 'problems', to_jsonb(array_remove(array[problem], null))
        ) as payload
    from decided
    where step is not null or problem is not null

),

final as (

    select keyed.item_key, keyed.account_id, keyed.payload, md5(keyed.payload::text) as payload_hash
    from keyed
    left join acknowledged on acknowledged.item_key = keyed.item_key
    where acknowledged.payload_hash is distinct from md5(keyed.payload::text)

)

select * from final order by item_key
{% endmacro %}
