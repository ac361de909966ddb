-- Rule 9 (rank within the peer group, period and framework version; ties share a rank: 1, 2, 2, 4) and
-- rule 10 (grade and light: the band of the run's framework version with the highest
-- min_score <= total_score, the published total a reader checks the band against).
-- rank_score = what ranks are decided on: total_score_exact, so units whose published totals
-- tie are told apart by the exact total; total_score when the version's scoring_params say
-- rank_by = published (ranks follow the published precision; equal published totals tie).
with totals as (
    select * from {{ for_selected_periods(ref('int_unit_scores_totalled')) }}
),

params as (
    select framework_version, rank_by from {{ ref('stg_reference__scoring_params') }}
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
        rank() over (partition by framework_version, peer_group, period order by rank_score desc)  as rank_in_group,
        count(*) over (partition by framework_version, peer_group, period)                         as group_size
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
    light
from graded
