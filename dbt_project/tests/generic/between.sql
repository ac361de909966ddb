{#- Column values (nulls ignored) lie within [min_value, max_value]; either bound may be omitted.
    bounded_only: check only the rows of framework versions whose scores are bounded, i.e. that
    score no leaf by the unbounded z-score (method zscore). -#}
{% test between(model, column_name, min_value=none, max_value=none, bounded_only=false) %}

select {{ column_name }} as value_out_of_range
from {{ model }}
where {{ column_name }} is not null
  and (
        {% if min_value is not none %}{{ column_name }} < {{ min_value }}{% else %}false{% endif %}
     or {% if max_value is not none %}{{ column_name }} > {{ max_value }}{% else %}false{% endif %}
  )
  {% if bounded_only %}and {{ bounded_versions_only() }}{% endif %}

{% endtest %}
