{#- Every marketplace's reports in one shape (see int_<marketplace>__reports). -#}
{{ union_marketplaces('reports') }}
