{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='report_line_id',
          indexes=[{'columns': ['report_line_id']}, {'columns': ['marketplace', 'order_number']}, {'columns': ['landed_at']}]) }}
{#- Every marketplace's report_lines in one shape (see int_<marketplace>__report_lines). -#}
{{ union_marketplaces('report_lines') }}
