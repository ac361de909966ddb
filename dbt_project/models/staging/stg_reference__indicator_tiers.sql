-- One row per (indicator, tier) the indicator applies to: the `|`-separated tiers cell split.
with indicators as (
    select indicator_code, tiers from {{ ref('stg_reference__indicators') }}
),

tier_parts as (
    select
        indicators.indicator_code,
        lower(trim(parts.tier)) as tier
    from indicators,
        unnest(string_split(coalesce(indicators.tiers, ''), '|')) as parts(tier)
)

select distinct indicator_code, tier
from tier_parts
where tier <> ''
