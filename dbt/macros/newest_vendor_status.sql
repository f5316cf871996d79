{#- The newest status the marketplace reported for each order of ``orders`` (a relation or CTE with marketplace,
    account_id, the vendor order id in column ``key``, and the order's new-order list version: list_status,
    extracted_at, id): its status stream or the list itself, whichever landed last, in the vendor's own words — Ozon
    status, WB supplierStatus, YM STATUS/SUBSTATUS, Megamarket status. ``wb_cancellations``: a WB task the buyer,
    WB or the carrier cancelled (wbStatus) reads 'cancelled' even while supplierStatus is unchanged. A lateral
    subquery with one column, ``status``: ``cross join lateral {{ newest_vendor_status('orders', 'key') }} as latest``.
    Used by the statuses' order progress and the pick lists' demand. -#}
{% macro newest_vendor_status(orders, key, wb_cancellations=false) -%}
    (
        select status from (
            select {{ orders }}.list_status as status, {{ orders }}.extracted_at, {{ orders }}.id
            union all
            select s.payload ->> 'status', s.extracted_at, s.id
            from {{ source('ozon', 'ozon_posting_statuses') }} as s
            where {{ orders }}.marketplace = 'ozon' and s.account_id = {{ orders }}.account_id
                and s.natural_key = {{ orders }}.{{ key }}
            union all
            {%- if wb_cancellations %}
            select case
                    when s.payload ->> 'supplierStatus' in ('cancel', 'cancel_carrier')
                        or s.payload ->> 'wbStatus' in ('canceled', 'canceled_by_client', 'declined_by_client',
                            'defect', 'canceled_by_carrier') then 'cancelled'
                    else s.payload ->> 'supplierStatus' end,
                s.extracted_at, s.id
            {%- else %}
            select s.payload ->> 'supplierStatus', s.extracted_at, s.id
            {%- endif %}
            from {{ source('wildberries', 'wildberries_order_statuses') }} as s
            where {{ orders }}.marketplace = 'wildberries' and s.account_id = {{ orders }}.account_id
                and s.natural_key = {{ orders }}.{{ key }}
            union all
            select concat_ws('/', s.payload ->> 'status', s.payload ->> 'substatus'), s.extracted_at, s.id
            from {{ source('yandex_market', 'yandex_market_order_statuses') }} as s
            where {{ orders }}.marketplace = 'yandex_market' and s.account_id = {{ orders }}.account_id
                and s.natural_key = {{ orders }}.{{ key }}
            union all
            select s.payload ->> 'status', s.extracted_at, s.id
            from {{ source('megamarket', 'megamarket_shipment_statuses') }} as s
            where {{ orders }}.marketplace = 'megamarket' and s.account_id = {{ orders }}.account_id
                and s.natural_key = {{ orders }}.{{ key }}
        ) as history
        order by extracted_at desc, id desc
        limit 1
    )
{%- endmacro %}
