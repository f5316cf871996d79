{#- union all of int_<marketplace>__<entity> over the marketplaces listed in var('marketplaces'); in an
    incremental model only the rows landed since its last run (see new_since). -#}
{% macro union_marketplaces(entity) -%}
    {%- for marketplace in var('marketplaces') %}
    select * from {{ ref('int_' ~ marketplace ~ '__' ~ entity) }}
    {%- if is_incremental() %}
    where landed_at > {{ new_since() }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
