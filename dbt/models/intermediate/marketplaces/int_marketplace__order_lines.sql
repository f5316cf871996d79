{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'posting_number'],
          indexes=[{'columns': ['marketplace', 'order_number']}, {'columns': ['landed_at']}]) }}
{#- Every marketplace's order_lines in one shape (see int_<marketplace>__order_lines). -#}
{{ union_marketplaces('order_lines') }}
