{#- Every marketplace's order_lines in one shape (see int_<marketplace>__order_lines). -#}
{{ union_marketplaces('order_lines') }}
