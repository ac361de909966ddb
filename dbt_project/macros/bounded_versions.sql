{#- A predicate on a relation with a framework_version column: the version's scores are bounded
    (0 to full marks), i.e. none of its leaves is scored by the unbounded z-score. Range tests of
    scores and ratios apply to those versions only. -#}
{% macro bounded_versions_only(column='framework_version') -%}
    {{ column }} not in (
        select framework_version from {{ ref('stg_reference__framework_indicators') }}
        where method = 'zscore')
{%- endmacro %}
