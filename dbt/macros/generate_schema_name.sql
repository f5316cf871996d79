{#- Use the configured schema name as is (staging, intermediate, marts), not <target>_<schema>. A replay
    (python -m sellerflow.replay) builds into schemas of its own: var schema_prefix, e.g. replay_1a2b3c4d_marts. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ var('schema_prefix', '') }}{%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
