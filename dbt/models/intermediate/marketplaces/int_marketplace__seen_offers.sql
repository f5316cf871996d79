{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'offer_id'],
          indexes=[{'columns': ['account_id', 'offer_id']}]) }}
{#- Every SKU a cabinet's orders or reports named, catalog or not (an archived offer still sells and is still
    reported). Incremental: only the lines landed since the last run are read, so the SKU mapping does not scan
    every order and report line each cycle. -#}
with

named as (

    select marketplace, account_id, offer_id, landed_at from {{ ref('int_marketplace__order_lines') }}
    {{ only_new() }}
    union all
    select marketplace, account_id, offer_id, landed_at from {{ ref('int_marketplace__report_lines') }}
    {{ only_new() }}

)

select marketplace, account_id, offer_id, max(landed_at) as landed_at
from named
where offer_id is not null and offer_id <> ''
group by marketplace, account_id, offer_id
