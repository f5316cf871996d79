{#- Casts shared by the staging models: one vocabulary for vendor formats. -#}

{#- A 1C reference: the empty GUID means "not set". -#}
{% macro onec_ref(expr) -%}
    nullif({{ expr }}, '00000000-0000-0000-0000-000000000000')::uuid
{%- endmacro %}

{#- A 1C date-time: server-local time without an offset (var onec_timezone); 0001-01-01 means "not set". -#}
{% macro onec_time(expr) -%}
    (nullif(nullif({{ expr }}, ''), '0001-01-01T00:00:00')::timestamp at time zone '{{ var("onec_timezone") }}')
{%- endmacro %}

{#- Money from a JSON number or numeric string, exact (numeric, never float), rounded to kopecks. -#}
{% macro money(expr) -%}
    round(nullif({{ expr }}, '')::numeric, 2)
{%- endmacro %}

{#- An ISO-8601 instant with an offset or Z. -#}
{% macro iso_time(expr) -%}
    nullif({{ expr }}, '')::timestamptz
{%- endmacro %}

{#- The marketplace order number the report and 1C key on.
    Ozon: a posting number 12345678-0001-1 belongs to order 12345678-0001 (architecture.md "Keys"). -#}
{% macro order_number(marketplace, number) -%}
    case
        when {{ marketplace }} = 'ozon' and {{ number }} ~ '^[0-9]+-[0-9]+-[0-9]+$'
            then regexp_replace({{ number }}, '-[0-9]+$', '')
        else nullif(trim({{ number }}), '')
    end
{%- endmacro %}

{#- A dbt var that maps marketplace → value, as a SQL case expression over a marketplace column. -#}
{% macro per_marketplace(var_name, column) -%}
    {%- set values = var(var_name) -%}
    case {{ column }}
    {%- for marketplace, value in values.items() %}
        when '{{ marketplace }}' then {{ value }}
    {%- endfor %}
    end
{%- endmacro %}
