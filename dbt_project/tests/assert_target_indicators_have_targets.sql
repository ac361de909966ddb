{{ config(meta={'dagster': {'ref': {'name': 'stg_reference__indicator_targets'}}}) }}
-- Contract from docs/architecture.md: a scored indicator with method `target` must have a
-- target row for every tier it applies to. Returns the (indicator, tier) pairs without one.
select
    indicator_tiers.indicator_code,
    indicator_tiers.tier
from {{ ref('stg_reference__indicators') }} as indicators
inner join {{ ref('stg_reference__indicator_tiers') }} as indicator_tiers
    on indicator_tiers.indicator_code = indicators.indicator_code
left join {{ ref('stg_reference__indicator_targets') }} as targets
    on targets.indicator_code = indicator_tiers.indicator_code
   and targets.tier = indicator_tiers.tier
where indicators.kind = 'scored'
  and indicators.scoring_method = 'target'
  and targets.target is null
