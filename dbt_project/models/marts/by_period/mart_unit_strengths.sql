-- Strengths and weaknesses (优势与短板) of each unit and period (official framework): its N best
-- and N worst indicators by score ratio (score / full marks), and by position among its peers:
-- peer_position = (peer_rank - 1) / (peer_count - 1), 0 = best, 1 = last; 0 when the unit is the
-- only one with a value (1st of 1 is not a weakness).
-- N = scoring_params.list_size of the framework version; ties broken by indicator code.
with indicator_scores as (
    select * from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where is_official
      and is_counted
),

positioned as (
    select
        *,
        case when peer_count > 1 then (peer_rank - 1)::double / (peer_count - 1) else 0.0 end as peer_position
    from indicator_scores
),

params as (
    select framework_version, list_size from {{ ref('stg_reference__scoring_params') }}
),

ordered as (
    select
        *,
        row_number() over (partition by unit_code, period order by ratio desc nulls last, indicator_code) as best_by_score,
        row_number() over (partition by unit_code, period order by ratio asc nulls last, indicator_code)  as worst_by_score,
        row_number() over (partition by unit_code, period
                           order by peer_position asc nulls last, indicator_code)  as best_by_rank,
        row_number() over (partition by unit_code, period
                           order by peer_position desc nulls last, indicator_code) as worst_by_rank
    from positioned
    where raw_value is not null
),

listed as (
    select ordered.*, 'strength' as side, 'score' as basis, best_by_score as position
    from ordered inner join params using (framework_version) where best_by_score <= params.list_size
    union all
    select ordered.*, 'weakness', 'score', worst_by_score
    from ordered inner join params using (framework_version) where worst_by_score <= params.list_size
    union all
    select ordered.*, 'strength', 'peer_rank', best_by_rank
    from ordered inner join params using (framework_version) where best_by_rank <= params.list_size
    union all
    select ordered.*, 'weakness', 'peer_rank', worst_by_rank
    from ordered inner join params using (framework_version) where worst_by_rank <= params.list_size
)

select
    cast(unit_code as varchar)          as unit_code,
    cast(period as varchar)             as period,
    cast(side as varchar)               as side,
    cast(basis as varchar)              as basis,
    cast(position as bigint)            as position,
    cast(indicator_code as varchar)     as indicator_code,
    cast(dimension_code as varchar)     as dimension_code,
    cast(raw_value as double)           as raw_value,
    cast(score as double)               as score,
    cast(max_score as double)           as max_score,
    cast(ratio as double)               as ratio,
    cast(peer_rank as bigint)           as peer_rank,
    cast(peer_count as bigint)          as peer_count,
    cast(peer_position as double)       as peer_position
from listed
order by period, unit_code, side, basis, position
