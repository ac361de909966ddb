-- Published ranking: one row per scored unit and period, under the period's official framework.
-- With the unit's completeness (int_unit_coverage_measured) and the period's state: results are
-- 暂定 (provisional, shown for objection 公示) until the office finalises the period (定稿).
with ranked as (
    select * from {{ for_selected_periods(ref('int_unit_scores_compared')) }}
    where is_official
),

units as (
    select unit_code, unit_name, short_name from {{ ref('stg_reference__units') }}
),

peer_groups as (
    select peer_group, peer_group_name, sort_order from {{ ref('stg_reference__peer_groups') }}
),

coverage as (
    select * from {{ for_selected_periods(ref('int_unit_coverage_measured')) }}
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
    cast(ranked.rank_change_yoy as bigint)      as rank_change_yoy,
    cast(ranked.is_rankable as boolean)         as is_ranked,
    cast(coverage.ranking_note as varchar)      as ranking_note,
    cast(coverage.indicators_expected as bigint) as indicators_expected,
    cast(coverage.indicators_reported as bigint) as indicators_reported,
    cast(round(coverage.coverage, 4) as double) as coverage,
    cast(coverage.missing_indicators as varchar) as missing_indicators,
    cast(coverage.missing_parts as varchar)     as missing_parts,
    cast(coalesce(coverage.is_final, false) as boolean) as is_final,
    cast(case when coverage.is_final then '定稿' else '暂定（公示）' end as varchar) as result_status,
    cast(ranked.overdue_deduction as double)    as overdue_deduction
from ranked
inner join units
    on units.unit_code = ranked.unit_code
left join peer_groups
    on peer_groups.peer_group = ranked.peer_group
left join coverage
    on coverage.unit_code = ranked.unit_code
   and coverage.period = ranked.period
   and coverage.framework_version = ranked.framework_version
order by ranked.period, peer_groups.sort_order, ranked.peer_group, ranked.rank_in_group, ranked.unit_code
