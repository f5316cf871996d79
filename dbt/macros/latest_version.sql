{#- The latest landed version of every (account_id, natural_key) of a raw source table. -#}
{% macro latest_version(source_name, table_name) -%}
    select distinct on (account_id, natural_key)
        account_id, natural_key, payload, payload_hash, extracted_at, run_id
    from {{ source(source_name, table_name) }}
    order by account_id, natural_key, extracted_at desc, id desc
{%- endmacro %}
