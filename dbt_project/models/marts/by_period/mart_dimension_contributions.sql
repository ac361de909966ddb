-- Contribution of each dimension to a unit's change in indicator score since the last quarter,
-- within the period's official framework (the previous quarter re-scored by it if need be).
-- change = dimension score - its score last quarter; share = change / change of the root node
-- (null when the root did not move).
with node_scores as (
    select *, {{ period_index('period') }} as period_index
    from {{ ref('int_node_scores_aggregated') }}
    where not is_leaf
),

official_dimensions as (
    select * from node_scores
    where is_official and node_type = 'dimension' and {{ period_is_selected() }}
),

roots as (
    select * from node_scores where parent_code is null
),

contributions as (
    select
        official_dimensions.unit_code,
        official_dimensions.period,
        official_dimensions.framework_version,
        official_dimensions.node_code                           as dimension,
        official_dimensions.score,
        previous_dimension.score                                as score_last_quarter,
        official_dimensions.score - previous_dimension.score    as score_change,
        current_root.score - previous_root.score                as indicator_score_change
    from official_dimensions
    left join node_scores as previous_dimension
        on previous_dimension.unit_code = official_dimensions.unit_code
       and previous_dimension.framework_version = official_dimensions.framework_version
       and previous_dimension.node_code = official_dimensions.node_code
       and previous_dimension.period_index = official_dimensions.period_index - 1
    left join roots as current_root
        on current_root.unit_code = official_dimensions.unit_code
       and current_root.framework_version = official_dimensions.framework_version
       and current_root.period = official_dimensions.period
    left join roots as previous_root
        on previous_root.unit_code = official_dimensions.unit_code
       and previous_root.framework_version = official_dimensions.framework_version
       and previous_root.period_index = official_dimensions.period_index - 1
)

select
    cast(unit_code as varchar)                  as unit_code,
    cast(period as varchar)                     as period,
    cast(framework_version as varchar)          as framework_version,
    cast(dimension as varchar)                  as dimension,
    cast(round(score, 4) as double)             as score,
    cast(round(score_last_quarter, 4) as double) as score_last_quarter,
    cast(round(score_change, 4) as double)      as score_change,
    cast(round(indicator_score_change, 4) as double) as indicator_score_change,
    cast(round(score_change / nullif(indicator_score_change, 0), 4) as double) as share_of_change
from contributions
order by period, unit_code, dimension
