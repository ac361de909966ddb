-- Audit inputs (issue 18). Per scoring run and quarterly indicator that applies to the unit (not
-- NA): the raw value and whether it is missing, the scored ratio (null unless counted) and, beside
-- it, the ratio of the indicator's dimension and of the composite (the root node) for that unit.
with node_scores as (
    select * from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
),

indicator_values as (
    select unit_code, period, framework_version, indicator_code, raw_value, is_missing
    from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where not is_na
      and frequency is distinct from 'annual'
),

leaves as (
    select * from node_scores where is_leaf
),

dimensions as (
    select unit_code, period, framework_version, node_code as dimension_code, ratio as dimension_ratio
    from node_scores
    where not is_leaf and node_type = 'dimension'
),

composites as (
    select unit_code, period, framework_version, ratio as composite_ratio
    from node_scores
    where not is_leaf and parent_code is null
)

select
    leaves.unit_code,
    leaves.period,
    leaves.framework_version,
    leaves.is_official,
    leaves.tier,
    leaves.node_code                        as indicator_code,
    leaves.dimension_code,
    indicator_values.raw_value,
    indicator_values.is_missing,
    leaves.is_counted,
    case when leaves.is_counted then leaves.ratio end as ratio,
    dimensions.dimension_ratio,
    composites.composite_ratio
from leaves
inner join indicator_values
    on indicator_values.unit_code = leaves.unit_code
   and indicator_values.period = leaves.period
   and indicator_values.framework_version = leaves.framework_version
   and indicator_values.indicator_code = leaves.node_code
left join dimensions
    on dimensions.unit_code = leaves.unit_code
   and dimensions.period = leaves.period
   and dimensions.framework_version = leaves.framework_version
   and dimensions.dimension_code = leaves.dimension_code
left join composites
    on composites.unit_code = leaves.unit_code
   and composites.period = leaves.period
   and composites.framework_version = leaves.framework_version
