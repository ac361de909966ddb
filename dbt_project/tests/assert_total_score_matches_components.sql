{{ config(meta={'dagster': {'ref': {'name': 'mart_unit_rankings'}}}) }}
-- total_score_exact = clamp(indicator_score_exact + bonus - deduction - overdue_deduction, score_floor,
-- score_ceiling)
-- and the published total_score = round(total_score_exact, score_decimals), with the parameters
-- of the period's framework version.
select rankings.*
from {{ ref('mart_unit_rankings') }} as rankings
inner join {{ ref('stg_reference__scoring_params') }} as params
    on params.framework_version = rankings.framework_version
where abs(rankings.total_score_exact
          - least(coalesce(params.score_ceiling, 'infinity'::double),
                  greatest(coalesce(params.score_floor, '-infinity'::double),
                           rankings.indicator_score_exact + rankings.bonus - rankings.deduction
                           - rankings.overdue_deduction))) > 1e-9
   or rankings.total_score <> round(rankings.total_score_exact, params.score_decimals)
