{#- union all of int_<marketplace>__<entity> over the marketplaces listed in var('marketplaces'). -#}
{% macro union_marketplaces(entity) -%}
    {%- for marketplace in var('marketplaces') %}
    select * from {{ ref('int_' ~ marketplace ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
