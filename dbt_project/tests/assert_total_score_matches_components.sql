{{ config(meta={'dagster': {'ref': {'name': 'mart_unit_rankings'}}}) }}
-- total_score = round(greatest(score_floor, indicator_score + bonus - deduction), 2) in the mart.
select rankings.*
from {{ ref('mart_unit_rankings') }} as rankings
cross join {{ ref('stg_reference__scoring_params') }} as params
where abs(rankings.total_score
          - round(greatest(params.score_floor,
                           rankings.indicator_score + rankings.bonus - rankings.deduction), 2)) > 0.0051
