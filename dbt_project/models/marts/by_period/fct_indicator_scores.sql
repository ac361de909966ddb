-- Indicator scores with traffic lights: one row per scored unit, period and applicable indicator
-- under the period's official framework (annual-only indicators in Q4 only, frequency `annual`).
with indicator_scores as (
    select * from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where is_official
)

select
    cast(unit_code as varchar)          as unit_code,
    cast(period as varchar)             as period,
    cast(indicator_code as varchar)     as indicator_code,
    cast(dimension_code as varchar)     as dimension_code,
    cast(measure_code as varchar)       as measure_code,
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
    cast(framework_version as varchar)  as framework_version,
    cast(frequency as varchar)          as frequency
from indicator_scores
order by period, unit_code, indicator_code
