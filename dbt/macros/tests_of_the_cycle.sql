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
    A view marked ``meta: {cycle_rows_from_parents: true}`` (a union of incremental models that passes their rows
    through, landed_at included) keeps the rows each of its parents re-read: landed_at above the earliest of their
    cycle_since. ``true`` — every row — on a full refresh, with var test_this_cycle_only false (the nightly run),
    for a relation that is neither, has no ``landed_at`` or (a parent) was last built in full. -#}
{% macro this_cycle(relation, column='landed_at') -%}
    {%- if not execute or flags.FULL_REFRESH or not var('test_this_cycle_only') -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set watermarked = [] -%}
    {#- the tested model is among the test's own dependencies: no walk over the whole graph per test #}
    {%- for node_id in model.depends_on.nodes if node_id in graph.nodes -%}
        {%- set node = graph.nodes[node_id] -%}
        {%- if node.schema == relation.schema and node.alias == relation.identifier -%}
            {%- if node.config.materialized == 'incremental' -%}
                {%- do watermarked.append(relation.schema ~ '.' ~ relation.identifier) -%}
            {%- elif node.config.materialized == 'view' and node.config.meta.get('cycle_rows_from_parents') -%}
                {%- for parent_id in node.depends_on.nodes if parent_id in graph.nodes -%}
                    {%- do watermarked.append(graph.nodes[parent_id].schema ~ '.' ~ graph.nodes[parent_id].alias) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {#- only incremental models keep watermarks: any other relation is tested whole, without asking the warehouse #}
    {%- if not watermarked -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set sql -%}
        select min(extract(epoch from watermark.cycle_since))::float8, count(*)
        from ops.dbt_watermarks as watermark
        join pg_attribute as attribute
            on attribute.attrelid = to_regclass(watermark.relation)
            and attribute.attname = '{{ column }}' and not attribute.attisdropped
        where watermark.relation in ('{{ watermarked | join("', '") }}')
            and watermark.cycle_since is not null
            and exists (
                select from pg_attribute as tested
                where tested.attrelid = to_regclass('{{ relation.schema }}.{{ relation.identifier }}')
                    and tested.attname = '{{ column }}' and not tested.attisdropped
            )
    {%- endset -%}
    {%- set row = run_query(sql).rows[0] -%}
    {%- if row[1] < watermarked | length or row[0] is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(column ~ ' > to_timestamp(' ~ row[0] ~ ')') }}
{%- endmacro %}
