{{ config(meta={'dagster': {'ref': {'name': 'stg_reference__indicator_targets'}}}) }}
-- A scored indicator with method `target` or `distance` in a framework version must have a target
-- for every tier it applies to in that version (a version-specific row or one for all versions;
-- a row for the whole tier, not only for some of its peer groups). Returns those without one.
select
    indicator_tiers.framework_version,
    indicator_tiers.indicator_code,
    indicator_tiers.tier
from {{ ref('stg_reference__framework_indicators') }} as framework_indicators
inner join {{ ref('stg_reference__indicator_tiers') }} as indicator_tiers
    on indicator_tiers.framework_version = framework_indicators.framework_version
   and indicator_tiers.indicator_code = framework_indicators.indicator_code
left join {{ ref('stg_reference__indicator_targets') }} as targets
    on targets.indicator_code = indicator_tiers.indicator_code
   and targets.tier = indicator_tiers.tier
   and targets.peer_group is null
   and coalesce(targets.framework_version, indicator_tiers.framework_version) = indicator_tiers.framework_version
where framework_indicators.kind = 'scored'
  and framework_indicators.method in ('target', 'distance')
  and targets.target is null
