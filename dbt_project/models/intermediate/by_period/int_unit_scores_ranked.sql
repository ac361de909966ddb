-- Rule 9 (rank within the peer group, period and framework version; ties share a rank: 1, 2, 2, 4) and
-- rule 10 (grade and light: the band of the run's framework version with the highest
-- min_score <= total_score, the published total a reader checks the band against).
-- rank_score = what ranks are decided on: total_score_exact, so units whose published totals
-- tie are told apart by the exact total; total_score when the version's scoring_params say
-- rank_by = published (ranks follow the published precision; equal published totals tie).
-- Rule P3 (int_unit_coverage_measured): only rankable units are ranked and counted in group_size;
-- a withheld total (an evaluation part missing before the period is final) is null, without grade.
with totals_scored as (
    select * from {{ for_selected_periods(ref('int_unit_scores_totalled')) }}
),

coverage as (
    select unit_code, period, framework_version, is_rankable, is_withheld
    from {{ for_selected_periods(ref('int_unit_coverage_measured')) }}
),

params as (
    select framework_version, rank_by from {{ ref('stg_reference__scoring_params') }}
),

totals as (
    select
        totals_scored.* replace (
            case when coverage.is_withheld then null else totals_scored.indicator_score end as indicator_score,
            case when coverage.is_withheld then null else totals_scored.total_score end as total_score,
            case when coverage.is_withheld then null else totals_scored.total_score_exact end as total_score_exact),
        coalesce(coverage.is_rankable, true) as is_rankable
    from totals_scored
    left join coverage
        on coverage.unit_code = totals_scored.unit_code
       and coverage.period = totals_scored.period
       and coverage.framework_version = totals_scored.framework_version
),

keyed as (
    select
        totals.*,
        case when params.rank_by = 'published' then totals.total_score
             else totals.total_score_exact end                                             as rank_score
    from totals
    left join params
        on params.framework_version = totals.framework_version
),

grade_bands as (
    select framework_version, grade, grade_en, min_score, light from {{ ref('stg_reference__grade_bands') }}
),

ranked as (
    select
        *,
        case when is_rankable then rank() over (
            partition by framework_version, peer_group, period, is_rankable order by rank_score desc) end as rank_in_group,
        count(*) filter (where is_rankable) over (partition by framework_version, peer_group, period) as group_size
    from keyed
),

graded as (
    select
        ranked.*,
        grade_bands.grade,
        grade_bands.grade_en,
        grade_bands.light
    from ranked
    left join grade_bands
        on grade_bands.framework_version = ranked.framework_version
       and grade_bands.min_score <= ranked.total_score
    qualify row_number() over (
        partition by ranked.unit_code, ranked.period, ranked.framework_version
        order by grade_bands.min_score desc nulls last
    ) = 1
)

select
    unit_code,
    period,
    period_index,
    framework_version,
    is_official,
    tier,
    peer_group,
    indicator_score,
    bonus,
    deduction,
    total_score,
    total_score_exact,
    rank_score,
    rank_in_group,
    group_size,
    grade,
    grade_en,
    light,
    is_rankable,
    overdue_deduction
from graded
