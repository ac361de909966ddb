-- Rule 3b (scoring grid). Each scoring run (unit, period, framework version) x the version's
-- scored indicators applicable to the unit's tier, with the current value, the most specific
-- target (version + peer group > version > peer group > tier) and what the methods need.
-- Annual-only indicators (frequency `annual`) are in the grid of Q4 runs only: they are reported
-- in the Q4 return and scored with the Q4 peers, for the annual roll-up.
--   is_na      : the value was reported as not applicable (不适用) -> excluded from scoring;
--   is_missing : no row, or a null value that is not NA -> policy zero (0 points) or exclude.
with runs as (
    select * from {{ for_selected_periods(ref('int_scoring_runs_assigned')) }}
),

framework_indicators as (
    select * from {{ ref('stg_reference__framework_indicators') }}
    where kind = 'scored'
),

indicator_tiers as (
    select * from {{ ref('stg_reference__indicator_tiers') }}
),

node_positions as (
    select framework_version, node_code, dimension_code, measure_code
    from {{ ref('int_framework_nodes_resolved') }}
),

targets as (
    select * from {{ ref('stg_reference__indicator_targets') }}
),

current_values as (
    select unit_code, period, indicator_code, value, is_na
    from {{ for_selected_periods(ref('int_indicator_values_current')) }}
),

applicable_indicators as (
    select
        framework_indicators.framework_version,
        indicator_tiers.tier,
        framework_indicators.indicator_code,
        framework_indicators.parent_code,
        node_positions.measure_code,
        node_positions.dimension_code,
        framework_indicators.method          as scoring_method,
        framework_indicators.direction,
        framework_indicators.param_a,
        framework_indicators.param_b,
        framework_indicators.weight          as full_marks,
        framework_indicators.missing_policy,
        framework_indicators.frequency,
        framework_indicators.normalisation_scope
    from framework_indicators
    inner join indicator_tiers
        on indicator_tiers.framework_version = framework_indicators.framework_version
       and indicator_tiers.indicator_code = framework_indicators.indicator_code
    left join node_positions
        on node_positions.framework_version = framework_indicators.framework_version
       and node_positions.node_code = framework_indicators.indicator_code
),

run_indicators as (
    select
        runs.unit_code,
        runs.period,
        runs.framework_version,
        runs.is_official,
        runs.tier,
        runs.peer_group,
        applicable_indicators.* exclude (framework_version, tier)
    from runs
    inner join applicable_indicators
        on applicable_indicators.framework_version = runs.framework_version
       and applicable_indicators.tier = runs.tier
       and (applicable_indicators.frequency <> 'annual' or right(runs.period, 2) = 'Q4')
),

most_specific_targets as (
    select
        run_indicators.unit_code,
        run_indicators.period,
        run_indicators.framework_version,
        run_indicators.indicator_code,
        targets.target
    from run_indicators
    inner join targets
        on targets.indicator_code = run_indicators.indicator_code
       and targets.tier = run_indicators.tier
       and coalesce(targets.peer_group, run_indicators.peer_group) = run_indicators.peer_group
       and coalesce(targets.framework_version, run_indicators.framework_version) = run_indicators.framework_version
    qualify row_number() over (
        partition by run_indicators.unit_code, run_indicators.period,
                     run_indicators.framework_version, run_indicators.indicator_code
        order by (targets.framework_version is not null) desc, (targets.peer_group is not null) desc
    ) = 1
),

grid as (
    select
        run_indicators.*,
        most_specific_targets.target,
        case when coalesce(current_values.is_na, false) then null
             else current_values.value end                          as raw_value,
        coalesce(current_values.is_na, false)                       as is_na,
        (not coalesce(current_values.is_na, false)
            and current_values.value is null)                       as is_missing
    from run_indicators
    left join most_specific_targets
        on most_specific_targets.unit_code = run_indicators.unit_code
       and most_specific_targets.period = run_indicators.period
       and most_specific_targets.framework_version = run_indicators.framework_version
       and most_specific_targets.indicator_code = run_indicators.indicator_code
    left join current_values
        on current_values.unit_code = run_indicators.unit_code
       and current_values.period = run_indicators.period
       and current_values.indicator_code = run_indicators.indicator_code
)

select * from grid
