-- Annual roll-up per unit and year (official frameworks): as the year's framework version says
-- (annual_rollup): mean_of_quarters = mean of the quarters' total scores scored in the year;
-- last_quarter = the total of the latest quarter scored. Ranked within peer group and year; the
-- unit's peer group is its group in the latest quarter scored in the year (a unit moved between
-- groups during the year is ranked with its new group).
with rankings as (
    select * from {{ ref('int_unit_scores_ranked') }}
    where is_official
),

versions as (
    select framework_version, annual_rollup from {{ ref('stg_reference__framework_versions') }}
),

yearly as (
    select
        rankings.unit_code,
        left(rankings.period, 4)                        as year,
        arg_max(rankings.peer_group, rankings.period_index) as peer_group,
        arg_max(rankings.framework_version, rankings.period_index) as framework_version,
        count(*)                                        as quarters_scored,
        avg(rankings.total_score::decimal(18, 4))::double as mean_of_quarters,
        arg_max(rankings.total_score, rankings.period_index)  as last_quarter
    from rankings
    group by rankings.unit_code, left(rankings.period, 4)
),

rolled_up as (
    select
        yearly.*,
        versions.annual_rollup,
        round(case versions.annual_rollup when 'last_quarter' then yearly.last_quarter
                   else yearly.mean_of_quarters end, 2) as annual_score
    from yearly
    inner join versions using (framework_version)
)

select
    cast(unit_code as varchar)          as unit_code,
    cast(year as varchar)               as year,
    cast(peer_group as varchar)         as peer_group,
    cast(framework_version as varchar)  as framework_version,
    cast(annual_rollup as varchar)      as annual_rollup,
    cast(quarters_scored as bigint)     as quarters_scored,
    cast(annual_score as double)        as annual_score,
    cast(rank() over (partition by peer_group, year order by annual_score desc) as bigint) as rank_in_group,
    cast(count(*) over (partition by peer_group, year) as bigint) as group_size
from rolled_up
order by year, peer_group, rank_in_group, unit_code
