{{ config(meta={'dagster': {'ref': {'name': 'mart_unit_rankings'}}}) }}
-- The published dimension scores of a unit and period add up to its published indicator_score
-- (both are rounded to 4 decimals upstream, so the sum matches to within rounding noise).
with dimension_totals as (
    select unit_code, period, sum(score) as dimension_score_sum
    from {{ ref('fct_dimension_scores') }}
    group by unit_code, period
)

select
    rankings.unit_code,
    rankings.period,
    rankings.indicator_score,
    dimension_totals.dimension_score_sum
from {{ ref('mart_unit_rankings') }} as rankings
left join dimension_totals
    on dimension_totals.unit_code = rankings.unit_code
   and dimension_totals.period = rankings.period
where abs(rankings.indicator_score - coalesce(dimension_totals.dimension_score_sum, 0)) > 0.0005
