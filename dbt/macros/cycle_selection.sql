{#- Whether this invocation selects the transform's 10-minute cycle: ``--select selector:cycle``, with or without
    ``--exclude`` of quiet models (sellerflow.orchestration.dbt_cycle.CYCLE_SELECTION). -#}
{% macro is_cycle_selection() -%}
    {{ return((invocation_args_dict.get('select') or []) | list == ['selector:cycle']) }}
{%- endmacro %}
