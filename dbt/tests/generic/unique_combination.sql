{#- Rows whose combination of columns is not unique. -#}
{% test unique_combination(model, column_name, combination) %}
select {{ combination | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
