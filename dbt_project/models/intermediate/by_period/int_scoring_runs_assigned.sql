-- Rule F3 (which framework scores a period). Each scored (unit, period) is scored officially by
-- the version whose [first_period, last_period] holds the period, and for comparison by every
-- version whose rescore_from_period <= period < first_period (re-scoring old periods under a
-- newer framework). Marts show official runs; fct_node_scores shows both.
with unit_periods as (
    select unit_code, period, tier, peer_group, {{ period_index('period') }} as period_index
    from {{ for_selected_periods(ref('int_unit_periods_selected')) }}
),

versions as (
    select * from {{ ref('stg_reference__framework_versions') }}
),

assigned as (
    select
        unit_periods.unit_code,
        unit_periods.period,
        unit_periods.period_index,
        unit_periods.tier,
        unit_periods.peer_group,
        versions.framework_version,
        (unit_periods.period_index >= versions.first_period_index
            and unit_periods.period_index <= coalesce(versions.last_period_index, 1000000)) as is_official
    from unit_periods
    inner join versions
        on (unit_periods.period_index >= versions.first_period_index
            and unit_periods.period_index <= coalesce(versions.last_period_index, 1000000))
        or (unit_periods.period_index >= versions.rescore_from_period_index
            and unit_periods.period_index < versions.first_period_index)
)

select * from assigned
