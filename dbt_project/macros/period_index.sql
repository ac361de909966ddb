{#- A period 'YYYYQn' as a sortable integer year x 4 + quarter (null when blank or malformed):
    2024Q1 -> 8097. Consecutive quarters differ by 1, the same quarter a year apart by 4. -#}
{% macro period_index(column) -%}
    (try_cast(substr({{ column }}, 1, 4) as integer) * 4
        + try_cast(substr({{ column }}, 6, 1) as integer) - 1)
{%- endmacro %}
