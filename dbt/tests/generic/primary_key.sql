{#- Rows whose key is null or shared with another row: dbt's unique and not_null in one query, so one node and one
    scan of the model instead of two (each node costs a 10-minute cycle dbt's ~30 ms of Python, whatever it does).
    One failure row per duplicated key, and one for the rows without a key. -#}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as occurrences
from {{ model }}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
