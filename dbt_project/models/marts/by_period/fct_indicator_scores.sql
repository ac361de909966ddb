-- Indicator scores with traffic lights: one row per scored unit, period and applicable indicator
-- under the period's official framework (annual-only indicators in Q4 only, frequency `annual`).
with indicator_scores as (
    select * from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where is_official
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
),

peer_groups as (
    select peer_group, peer_group_name from {{ ref('stg_reference__peer_groups') }}
),

indicators as (
    select indicator_code, indicator_name_zh from {{ ref('stg_reference__indicators') }}
),

nodes as (
    select framework_version, node_code, node_name_zh from {{ ref('int_framework_nodes_resolved') }}
)

select
    cast(indicator_scores.unit_code as varchar)         as unit_code,
    cast(units.unit_name as varchar)                    as unit_name,
    cast(indicator_scores.peer_group as varchar)        as peer_group,
    cast(peer_groups.peer_group_name as varchar)        as peer_group_name,
    cast(period as varchar)             as period,
    cast(indicator_scores.indicator_code as varchar)    as indicator_code,
    cast(indicators.indicator_name_zh as varchar)       as indicator_name_zh,
    cast(dimension_code as varchar)     as dimension_code,
    cast(dimensions.node_name_zh as varchar)            as dimension_name_zh,
    cast(measure_code as varchar)       as measure_code,
    cast(measures.node_name_zh as varchar)              as measure_name_zh,
    cast(scoring_method as varchar)     as method,
    cast(raw_value as double)           as raw_value,
    cast(target as double)              as target,
    cast(attainment_ratio as double)    as attainment_ratio,
    cast(round(score, 4) as double)     as score,
    cast(score as double)               as score_exact,
    cast(max_score as double)           as max_score,
    cast(light as varchar)              as light,
    cast(is_missing as boolean)         as is_missing,
    cast(is_na as boolean)              as is_na,
    cast(is_counted as boolean)         as is_counted,
    cast(ratio as double)               as ratio,
    cast(peer_rank as bigint)           as peer_rank,
    cast(peer_count as bigint)          as peer_count,
    cast(indicator_scores.framework_version as varchar) as framework_version,
    cast(frequency as varchar)          as frequency
from indicator_scores
left join units
    on units.unit_code = indicator_scores.unit_code
left join peer_groups
    on peer_groups.peer_group = indicator_scores.peer_group
left join indicators
    on indicators.indicator_code = indicator_scores.indicator_code
left join nodes as dimensions
    on dimensions.framework_version = indicator_scores.framework_version
   and dimensions.node_code = indicator_scores.dimension_code
left join nodes as measures
    on measures.framework_version = indicator_scores.framework_version
   and measures.node_code = indicator_scores.measure_code
order by period, indicator_scores.unit_code, indicator_scores.indicator_code
