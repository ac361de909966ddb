{#- The rank column equals 1 + the number of rows in the same partition with a strictly
    higher score (standard competition ranking: 1, 2, 2, 4). -#}
{% test rank_consistent(model, column_name, score_column, partition_by) %}

with ranked as (
    select
        {% for col in partition_by %}{{ col }} as partition_{{ loop.index }}, {% endfor %}
        {{ score_column }} as score_value,
        {{ column_name }} as rank_value
    from {{ model }}
),

expected as (
    select
        ranked.*,
        1 + (
            select count(*)
            from ranked as others
            where others.score_value > ranked.score_value
            {% for col in partition_by %}
              and others.partition_{{ loop.index }} is not distinct from ranked.partition_{{ loop.index }}
            {% endfor %}
        ) as expected_rank
    from ranked
)

select *
from expected
where rank_value is distinct from expected_rank

{% endtest %}
