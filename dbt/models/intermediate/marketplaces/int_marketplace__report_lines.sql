{{ config(materialized='view', post_hook=[], meta={'cycle_rows_from_parents': true}) }}
{#- Every marketplace's report_lines in one shape (see int_<marketplace>__report_lines). A view over the per-marketplace
    incremental tables: a consumer's filter (landed since, order numbers) reaches each table's indexes. -#}
{{ union_marketplaces('report_lines') }}
