{#- Post-hook: a partial index on the model's table, for the few rows an incremental run re-reads from the model
    itself (unmapped lines, lines without a cabinet): found by index instead of a scan of every row each cycle. dbt's
    ``indexes`` config cannot say ``where``. Created when the table has no index marked with this key (a table built
    anew, full refresh included), else nothing. The name is unique: the index of a table being replaced (renamed to
    its backup until the build commits) keeps its own. -#}
{% macro partial_index(columns, where) -%}
    {%- set key = 'sellerflow partial index (' ~ (columns | join(', ')) ~ ') where ' ~ where -%}
    do $partial$
    declare
        name text := left('{{ this.identifier }}', 40) || '_partial_' || substr(md5(clock_timestamp()::text), 1, 8);
    begin
        if not exists (
            select from pg_index as i
            where i.indrelid = '{{ this.schema }}.{{ this.identifier }}'::regclass
                and obj_description(i.indexrelid, 'pg_class') = '{{ key }}'
        ) then
            execute format('create index %I on {{ this }} ({{ columns | join(", ") }}) where {{ where }}', name);
            execute format('comment on index {{ this.schema }}.%I is %L', name, '{{ key }}');
        end if;
    end $partial$
{%- endmacro %}
