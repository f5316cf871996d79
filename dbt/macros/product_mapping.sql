{#- The SKU → 1C item mapping (int_product_mapping) for rows of ``lines`` that carry account_id and offer_id:
    the override for the row's ``warehouse`` (an SQL expression) when there is one, else the cabinet's mapping.
    Emits the two joins; read their columns with mapped('<column>'). -#}
{% macro join_product_mapping(lines, warehouse) -%}
    left join {{ ref('int_product_mapping') }} as mapping_cabinet
        on mapping_cabinet.account_id = {{ lines }}.account_id
        and mapping_cabinet.offer_id = {{ lines }}.offer_id
        and mapping_cabinet.warehouse_id = ''
    left join {{ ref('int_product_mapping') }} as mapping_warehouse
        on mapping_warehouse.account_id = {{ lines }}.account_id
        and mapping_warehouse.offer_id = {{ lines }}.offer_id
        and mapping_warehouse.warehouse_id = {{ warehouse }}
{%- endmacro %}

{#- A column of the mapping join_product_mapping found: the warehouse's override wins over the cabinet's row. -#}
{% macro mapped(column) -%}
    case when mapping_warehouse.offer_id is not null then mapping_warehouse.{{ column }} else mapping_cabinet.{{ column }} end
{%- endmacro %}
