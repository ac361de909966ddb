-- Published ranking: one row per scored unit and period, under the period's official framework.
with ranked as (
    select * from {{ for_selected_periods(ref('int_unit_scores_compared')) }}
    where is_official
),

units as (
    select unit_code, unit_name, short_name from {{ ref('stg_reference__units') }}
),

peer_groups as (
    select peer_group, peer_group_name, sort_order from {{ ref('stg_reference__peer_groups') }}
)

select
    cast(ranked.unit_code as varchar)           as unit_code,
    cast(units.unit_name as varchar)            as unit_name,
    cast(units.short_name as varchar)           as short_name,
    cast(ranked.tier as varchar)                as tier,
    cast(ranked.peer_group as varchar)          as peer_group,
    cast(peer_groups.peer_group_name as varchar) as peer_group_name,
    cast(ranked.period as varchar)              as period,
    cast(ranked.total_score as double)          as total_score,
    cast(ranked.total_score_exact as double)    as total_score_exact,
    cast(ranked.rank_score as double)           as rank_score,
    cast(ranked.rank_in_group as bigint)        as rank_in_group,
    cast(ranked.group_size as bigint)           as group_size,
    cast(ranked.grade as varchar)               as grade,
    cast(ranked.grade_en as varchar)            as grade_en,
    cast(ranked.light as varchar)               as light,
    cast(round(ranked.indicator_score, 4) as double) as indicator_score,
    cast(ranked.indicator_score as double)      as indicator_score_exact,
    cast(ranked.bonus as double)                as bonus,
    cast(ranked.deduction as double)            as deduction,
    cast(ranked.framework_version as varchar)   as framework_version,
    cast(ranked.score_change_qoq as double)     as score_change_qoq,
    cast(ranked.rank_change_qoq as bigint)      as rank_change_qoq,
    cast(ranked.score_change_yoy as double)     as score_change_yoy,
    cast(ranked.rank_change_yoy as bigint)      as rank_change_yoy
from ranked
inner join units
    on units.unit_code = ranked.unit_code
left join peer_groups
    on peer_groups.peer_group = ranked.peer_group
order by ranked.period, peer_groups.sort_order, ranked.peer_group, ranked.rank_in_group, ranked.unit_code
