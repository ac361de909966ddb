-- One row per (framework version, indicator, tier) the indicator is scored for: the
-- `|`-separated tiers cell of the framework (or, when blank, of the catalogue) split.
with framework_indicators as (
    select framework_version, indicator_code, tiers
    from {{ ref('stg_reference__framework_indicators') }}
),

tier_parts as (
    select
        framework_indicators.framework_version,
        framework_indicators.indicator_code,
        lower(trim(parts.tier)) as tier
    from framework_indicators,
        unnest(string_split(coalesce(framework_indicators.tiers, ''), '|')) as parts(tier)
)

select distinct framework_version, indicator_code, tier
from tier_parts
where tier <> ''
