{#- Rule 3 (who is compared). The units a value is compared with when it is normalised or
    rescaled: the peer group (default), the tier, or all units of the version and period; declared
    per version (scoring_params.normalisation_scope) or per indicator. Used by the indicator scores
    and by the composite's rescaling, so both compare within the same scope. -#}
{% macro scope_key(scope, tier, peer_group) -%}
    case coalesce({{ scope }}, 'peer_group')
            when 'tier' then 'tier:' || {{ tier }}
            when 'all' then 'all'
            else 'peer_group:' || {{ peer_group }} end
{%- endmacro %}

{#- The standard deviation of `value` around `mean` within a group, summed in `order_by` order so a
    re-scoring is bit-identical; `sd_kind` 'sample' divides by n - 1, else by n (population). -#}
{% macro ordered_sd(value, mean, order_by, sd_kind) -%}
    sqrt(sum(({{ value }} - {{ mean }}) ^ 2 order by {{ order_by }})
             / nullif(count(*) - case when any_value({{ sd_kind }}) = 'sample' then 1 else 0 end, 0))
{%- endmacro %}
