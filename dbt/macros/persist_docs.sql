{#- The 10-minute cycle (``--select selector:cycle``, sellerflow.orchestration.dbt_cycle) leaves an incremental model's
    comments as they are: its table is not re-created, and comments change only with the project, whose every
    version gets a whole-project build first (and the nightly run builds everything). Three statements less per
    incremental model and cycle (the table's comment, a read of its columns, the columns' comments). Tables and
    views are re-created by every build and get their comments every time. -#}
{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if model.config.materialized == 'incremental' and not flags.FULL_REFRESH
          and is_cycle_selection() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(default__persist_docs(relation, model, for_relation, for_columns)) }}
{%- endmacro %}
