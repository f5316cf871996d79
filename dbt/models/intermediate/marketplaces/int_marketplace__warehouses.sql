{#- Every marketplace's warehouses in one shape. -#}
{{ union_marketplaces('warehouses') }}
