{#- Thresholds of the statistical audit (issue 18), after COINr (JRC): an indicator is an outlier
    suspect when |skewness| > 2 and kurtosis > 3.5 (check_SkewKurt); correlations with the own
    dimension or the composite below `near_zero` in absolute value are near zero, below
    -`near_zero` negative; two indicators of one dimension above `redundant` say the same. -#}
{% macro audit_threshold(name) -%}
    {%- set thresholds = {'skewness': 2.0, 'kurtosis': 3.5, 'near_zero': 0.1, 'redundant': 0.92,
                          'min_units': 3} -%}
    {{ return(thresholds[name]) }}
{%- endmacro %}
