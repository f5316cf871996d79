{{ config(materialized='view', post_hook=[], meta={'cycle_rows_from_parents': true}) }}
{#- Every marketplace's order_lines in one shape (see int_<marketplace>__order_lines). A view over the per-marketplace
    incremental tables: a consumer's filter (landed since, order numbers) reaches each table's indexes. -#}
{{ union_marketplaces('order_lines') }}
