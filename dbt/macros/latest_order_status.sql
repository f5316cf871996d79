{#- The latest status each marketplace's status history holds for the postings of ``postings`` (a relation or CTE
    with marketplace, account_id and posting_number): 'cancelled' when the vendor cancelled it (Ozon's own status,
    WB's supplierStatus/wbStatus cancellations, Megamarket's *CANCELED), else the vendor's status in lower case.
    One lateral lookup per posting, so only the status rows of those postings are read. Used by the reservations'
    desired state (the pick lists' demand reads the vendor's own status words, pick_demand.sql). -#}
{% macro latest_order_status(postings='postings') -%}
    select {{ postings }}.account_id, {{ postings }}.posting_number, latest.status
    from {{ postings }}
    cross join lateral (
        select status from (
            select s.payload ->> 'status' as status, s.extracted_at, s.id
            from {{ source('ozon', 'ozon_posting_statuses') }} as s
            where {{ postings }}.marketplace = 'ozon' and s.account_id = {{ postings }}.account_id
                and s.natural_key = {{ postings }}.posting_number
            union all
            select case
                    when s.payload ->> 'supplierStatus' in ('cancel', 'cancel_carrier')
                        or s.payload ->> 'wbStatus' in ('canceled', 'canceled_by_client', 'declined_by_client',
                            'defect', 'canceled_by_carrier') then 'cancelled'
                    else s.payload ->> 'wbStatus' end,
                s.extracted_at, s.id
            from {{ source('wildberries', 'wildberries_order_statuses') }} as s
            where {{ postings }}.marketplace = 'wildberries' and s.account_id = {{ postings }}.account_id
                and s.natural_key = {{ postings }}.posting_number
            union all
            select lower(s.payload ->> 'status'), s.extracted_at, s.id
            from {{ source('yandex_market', 'yandex_market_order_statuses') }} as s
            where {{ postings }}.marketplace = 'yandex_market' and s.account_id = {{ postings }}.account_id
                and s.natural_key = {{ postings }}.posting_number
            union all
            select case when s.payload ->> 'status' like '%CANCELED' then 'cancelled' else lower(s.payload ->> 'status') end,
                s.extracted_at, s.id
            from {{ source('megamarket', 'megamarket_shipment_statuses') }} as s
            where {{ postings }}.marketplace = 'megamarket' and s.account_id = {{ postings }}.account_id
                and s.natural_key = {{ postings }}.posting_number
        ) as history
        order by extracted_at desc, id desc
        limit 1
    ) as latest
{%- endmacro %}
