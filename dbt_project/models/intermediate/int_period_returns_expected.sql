-- Rule P2 (what a period expects). For every quarter with any file received or any decision:
-- each unit is expected to send its own return, and each scored indicator of the period's
-- official framework applicable to the unit's tier is expected from its designated source
-- (indicators.source: 'self' = the unit's own return, else that evaluator's return, one row per
-- assessed unit). Annual-only indicators are expected in Q4 only. Bonus and deduction items are
-- reported only when something happened, so they are not expected. One row per
-- (period, unit, indicator) with the evaluation part it belongs to and whether the current
-- accepted return of its source holds a value (or 不适用) for it.
with periods as (
    select distinct period from {{ ref('int_return_files_versioned') }}
    where regexp_full_match(period, '[0-9]{4}Q[1-4]')
    union
    select period from {{ ref('int_period_finality_resolved') }}
),

calendar as (
    select period, period_index from {{ ref('stg_reference__periods') }}
),

versions as (
    select framework_version, first_period_index, last_period_index
    from {{ ref('stg_reference__framework_versions') }}
),

official_versions as (
    select periods.period, calendar.period_index, versions.framework_version
    from periods
    inner join calendar
        on calendar.period = periods.period
    inner join versions
        on calendar.period_index >= versions.first_period_index
       and calendar.period_index <= coalesce(versions.last_period_index, 1000000)
),

units as (
    select unit_code, tier from {{ ref('stg_reference__units') }}
),

framework_indicators as (
    select framework_version, indicator_code, frequency
    from {{ ref('stg_reference__framework_indicators') }}
    where kind = 'scored'
),

indicator_sources as (
    select indicator_code, source from {{ ref('stg_reference__indicators') }}
),

indicator_tiers as (
    select * from {{ ref('stg_reference__indicator_tiers') }}
),

parts as (
    select ancestors.framework_version, ancestors.node_code as indicator_code, ancestors.ancestor_code as part_code
    from {{ ref('int_framework_ancestors_listed') }} as ancestors
    inner join {{ ref('int_framework_nodes_resolved') }} as nodes
        on nodes.framework_version = ancestors.framework_version
       and nodes.node_code = ancestors.ancestor_code
    where nodes.node_type = 'part'
),

expected as (
    select
        official_versions.period,
        official_versions.framework_version,
        units.unit_code,
        units.tier,
        framework_indicators.indicator_code,
        indicator_sources.source,
        parts.part_code
    from official_versions
    inner join framework_indicators
        on framework_indicators.framework_version = official_versions.framework_version
       and (framework_indicators.frequency <> 'annual' or right(official_versions.period, 2) = 'Q4')
    inner join indicator_tiers
        on indicator_tiers.framework_version = framework_indicators.framework_version
       and indicator_tiers.indicator_code = framework_indicators.indicator_code
    inner join units
        on units.tier = indicator_tiers.tier
    inner join indicator_sources
        on indicator_sources.indicator_code = framework_indicators.indicator_code
    left join parts
        on parts.framework_version = framework_indicators.framework_version
       and parts.indicator_code = framework_indicators.indicator_code
),

current_files as (
    select sha256, return_type, submitter_code, period
    from {{ ref('int_return_files_versioned') }}
    where is_current
),

received as (
    select distinct
        case when current_files.return_type = 'unit' then current_files.submitter_code
             else return_values.unit_code end                            as unit_code,
        current_files.period,
        return_values.indicator_code,
        case when current_files.return_type = 'unit' then 'self'
             else current_files.submitter_code end                       as source
    from {{ ref('stg_returns__values') }} as return_values
    inner join current_files
        on current_files.sha256 = return_values.sha256
    where return_values.value is not null or return_values.is_na
)

select
    expected.period,
    expected.framework_version,
    expected.unit_code,
    expected.tier,
    expected.indicator_code,
    expected.source,
    expected.part_code,
    received.indicator_code is not null     as is_received
from expected
left join received
    on received.unit_code = expected.unit_code
   and received.period = expected.period
   and received.indicator_code = expected.indicator_code
   and received.source = expected.source
