{#- Every marketplace's stock per (cabinet, warehouse, SKU) in one shape. -#}
{{ union_marketplaces('stocks') }}
