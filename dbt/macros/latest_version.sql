{#- The latest landed version of every (account_id, natural_key) of a raw source table.

    A raw table appears with its extraction's first load: until then the model reads an empty set of the
    same shape, so a marketplace whose extraction has not run yet builds (and fills on a later run). -#}
{% macro latest_version(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
    select
        null::text as account_id, null::text as natural_key, null::jsonb as payload,
        null::jsonb as context, null::bytea as payload_hash, null::timestamptz as extracted_at,
        null::text as run_id
    where false
    {%- else -%}
    select distinct on (account_id, natural_key)
        account_id, natural_key, payload, context, payload_hash, extracted_at, run_id
    from {{ relation }}
    order by account_id, natural_key, extracted_at desc, id desc
    {%- endif -%}
{%- endmacro %}
