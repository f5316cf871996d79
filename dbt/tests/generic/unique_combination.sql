{#- Rows whose combination of columns is not unique. -#}
{% test unique_combination(model, combination, column_name=none) %}
select {{ combination | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
