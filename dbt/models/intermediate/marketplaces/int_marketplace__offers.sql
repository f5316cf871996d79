{#- Every marketplace's offers in one shape (see int_<marketplace>__offers). -#}
{{ union_marketplaces('offers') }}
