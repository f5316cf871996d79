{#- Every marketplace's report_lines in one shape (see int_<marketplace>__report_lines). -#}
{{ union_marketplaces('report_lines') }}
