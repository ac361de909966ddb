-- Annual roll-up per unit and year (official frameworks), as the year's framework version says.
--   quarterly_score R = the quarters' total scores rolled up by annual_rollup: mean_of_quarters =
--                       mean of the quarters scored in the year; last_quarter = the latest one;
--   annual_indicator_score A = the annual-only indicators (frequency `annual`, scored in the Q4
--                       run): sum(score) / sum(full marks) x 100 over those counted (NA and
--                       excluded missing values do not count; policy zero counts 0);
--   annual_score_exact = clamp((1 - w / W) x R + w x A / 100, score_floor, score_ceiling),
--                       w = annual_indicator_weight of the version, W = the root's weight; when
--                       the unit has no counted annual-only indicator (or w = 0): R. R and A are
--                       computed from the exact (unrounded) quarterly totals and indicator scores;
--                       annual_score = round(annual_score_exact, score_decimals) is the display.
-- Ranked on rank_score: annual_score_exact, or annual_score when rank_by = published.
-- Ranked within peer group and year; the unit's peer group is its group in the latest quarter
-- scored in the year (a unit moved between groups during the year is ranked with its new group).
-- Partitioned by year: the annual partition '2024' rebuilds the 2024 rows.
-- result_status: 定稿 once all four quarters of the year are final, else 暂定（公示）.
{{ config(period_column='year', period_grain='year') }}

with rankings as (
    select * from {{ ref('int_unit_scores_ranked') }}
    where is_official and {{ period_is_selected('left(period, 4)', grain='year') }}
),

versions as (
    select framework_version, annual_rollup, annual_indicator_weight
    from {{ ref('stg_reference__framework_versions') }}
),

roots as (
    select framework_version, weight as root_weight
    from {{ ref('int_framework_nodes_resolved') }}
    where parent_code is null
      and not is_leaf
),

params as (
    select framework_version, score_floor, score_ceiling, score_decimals, rank_by from {{ ref('stg_reference__scoring_params') }}
),

final_years as (
    select left(period, 4) as year, count(*) filter (where is_final) = 4 as is_final
    from {{ ref('int_period_finality_resolved') }}
    group by left(period, 4)
),

annual_indicators as (
    select
        unit_code,
        left(period, 4)                                 as year,
        framework_version,
        sum(score::decimal(38, 18))::double / nullif(sum(full_marks), 0) * 100 as annual_indicator_score
    from {{ ref('int_indicator_scores_computed') }}
    where is_official
      and frequency = 'annual'
      and is_counted
      and {{ period_is_selected('left(period, 4)', grain='year') }}
    group by unit_code, left(period, 4), framework_version
),

yearly as (
    select
        rankings.unit_code,
        left(rankings.period, 4)                        as year,
        arg_max(rankings.peer_group, rankings.period_index) as peer_group,
        arg_max(rankings.framework_version, rankings.period_index) as framework_version,
        count(*)                                        as quarters_scored,
        avg(rankings.total_score_exact::decimal(38, 18))::double as mean_of_quarters,
        arg_max(rankings.total_score_exact, rankings.period_index) as last_quarter
    from rankings
    group by rankings.unit_code, left(rankings.period, 4)
),

rolled_up as (
    select
        yearly.*,
        versions.annual_rollup,
        case versions.annual_rollup when 'last_quarter' then yearly.last_quarter
             else yearly.mean_of_quarters end           as quarterly_score,
        annual_indicators.annual_indicator_score,
        versions.annual_indicator_weight,
        versions.annual_indicator_weight / roots.root_weight as annual_share,
        params.score_floor,
        params.score_ceiling,
        coalesce(params.score_decimals, 2)              as score_decimals,
        params.rank_by
    from yearly
    inner join versions using (framework_version)
    left join roots using (framework_version)
    left join params using (framework_version)
    left join annual_indicators
        on annual_indicators.unit_code = yearly.unit_code
       and annual_indicators.year = yearly.year
       and annual_indicators.framework_version = yearly.framework_version
),

combined as (
    select
        *,
        case
            when annual_indicator_score is null or coalesce(annual_share, 0) = 0 then quarterly_score
            else least(coalesce(score_ceiling, 'infinity'::double), greatest(coalesce(score_floor, '-infinity'::double),
                 (1 - annual_share) * quarterly_score + annual_indicator_weight * annual_indicator_score / 100))
        end                                             as annual_score_exact
    from rolled_up
),

published as (
    select
        *,
        round(annual_score_exact, score_decimals)       as annual_score,
        case when rank_by = 'published' then round(annual_score_exact, score_decimals)
             else annual_score_exact end                as rank_score
    from combined
)

select
    cast(unit_code as varchar)          as unit_code,
    cast(year as varchar)               as year,
    cast(peer_group as varchar)         as peer_group,
    cast(framework_version as varchar)  as framework_version,
    cast(annual_rollup as varchar)      as annual_rollup,
    cast(quarters_scored as bigint)     as quarters_scored,
    cast(annual_score as double)        as annual_score,
    cast(annual_score_exact as double)  as annual_score_exact,
    cast(rank_score as double)          as rank_score,
    cast(rank() over (partition by peer_group, year order by rank_score desc) as bigint) as rank_in_group,
    cast(count(*) over (partition by peer_group, year) as bigint) as group_size,
    cast(round(quarterly_score, 4) as double)           as quarterly_score,
    cast(round(annual_indicator_score, 4) as double)    as annual_indicator_score,
    cast(case when final_years.is_final then '定稿' else '暂定（公示）' end as varchar) as result_status
from published
left join final_years using (year)
order by year, peer_group, rank_in_group, unit_code
