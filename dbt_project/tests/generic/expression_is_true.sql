{#- Every row satisfies the SQL boolean expression (rows where it is false are failures);
    bounded_only as in `between`. -#}
{% test expression_is_true(model, expression, bounded_only=false) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)
  {% if bounded_only %}and {{ bounded_versions_only() }}{% endif %}

{% endtest %}
