-- Contribution of each dimension to a unit's change in indicator score since the last quarter,
-- within the period's official framework (the previous quarter re-scored by it if need be).
-- change = dimension score - its score last quarter; indicator_score_change = the change of the
-- sum of the unit's dimension scores (the five types' total, which the root is when the
-- dimensions are its children; with evaluation parts, the `indicators` part on its 100-point
-- scale); share = change / indicator_score_change (null when the sum did not move).
with node_scores as (
    select *, {{ period_index('period') }} as period_index
    from {{ ref('int_node_scores_aggregated') }}
    where not is_leaf
),

official_dimensions as (
    select * from node_scores
    where is_official and node_type = 'dimension' and {{ period_is_selected() }}
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
        case when count(*) over unit_period = count(previous_dimension.score) over unit_period
             then sum(official_dimensions.score - previous_dimension.score) over unit_period
        end                                                     as indicator_score_change
    from official_dimensions
    left join node_scores as previous_dimension
        on previous_dimension.unit_code = official_dimensions.unit_code
       and previous_dimension.framework_version = official_dimensions.framework_version
       and previous_dimension.node_code = official_dimensions.node_code
       and previous_dimension.period_index = official_dimensions.period_index - 1
    window unit_period as (partition by official_dimensions.unit_code, official_dimensions.period,
                                        official_dimensions.framework_version)
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
