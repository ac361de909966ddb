{{ config(meta={'dagster': {'ref': {'name': 'mart_unit_rankings'}}}) }}
-- total_score = round(greatest(score_floor, indicator_score + bonus - deduction), 2) in the mart,
-- with the floor of the period's framework version.
select rankings.*
from {{ ref('mart_unit_rankings') }} as rankings
inner join {{ ref('stg_reference__scoring_params') }} as params
    on params.framework_version = rankings.framework_version
where abs(rankings.total_score
          - round(greatest(params.score_floor,
                           rankings.indicator_score + rankings.bonus - rankings.deduction), 2)) > 0.0051
