{#- Data tests of a cycle check the rows of the cycle; the nightly run (dags/dbt_nightly.py, var
    test_this_cycle_only: false) and full builds check every row.

    dbt calls get_where_subquery for the model a generic data test reads, with the test's ``where`` config
    (dbt_project.yml sets ``__this_cycle__`` for every data test). Here ``__this_cycle__`` becomes this_cycle(model):
    the rows of an incremental model that its latest run re-read (landed_at above that run's cycle_since in
    ops.dbt_watermarks, see record_watermark); ``true`` elsewhere, and then the test reads the model as it is. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__this_cycle__' in where -%}
        {%- set where = where | replace('__this_cycle__', this_cycle(relation)) -%}
    {%- endif -%}
    {%- if not where or where | trim == 'true' -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}

{#- A condition keeping the rows of ``relation`` its latest incremental run re-read: ``landed_at > <cycle_since>``.
    ``true`` — every row — on a full refresh, with var test_this_cycle_only false (the nightly run), for a
    relation that is not an incremental model, has no ``landed_at`` or was last built in full. -#}
{% macro this_cycle(relation, column='landed_at') -%}
    {%- if not execute or flags.FULL_REFRESH or not var('test_this_cycle_only') -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set sql -%}
        select extract(epoch from watermark.cycle_since)::float8
        from ops.dbt_watermarks as watermark
        join pg_attribute as attribute
            on attribute.attrelid = to_regclass('{{ relation.schema }}.{{ relation.identifier }}')
            and attribute.attname = '{{ column }}' and not attribute.attisdropped
        where watermark.relation = '{{ relation.schema }}.{{ relation.identifier }}'
            and watermark.cycle_since is not null
    {%- endset -%}
    {%- set rows = run_query(sql).rows -%}
    {%- if rows | length == 0 -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(column ~ ' > to_timestamp(' ~ rows[0][0] ~ ')') }}
{%- endmacro %}
