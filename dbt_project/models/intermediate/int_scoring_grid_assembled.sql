-- Rule 3b (scoring grid). Scored (unit, period) x scored indicators applicable to the unit's tier,
-- with the current value, the tier's target and everything the scoring methods need.
--   is_na      : the value was reported as not applicable (不适用) -> excluded from scoring;
--   is_missing : no row, or a null value that is not NA -> scores 0.
with unit_periods as (
    select * from {{ ref('int_unit_periods_selected') }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
    where kind = 'scored'
),

indicator_tiers as (
    select * from {{ ref('stg_reference__indicator_tiers') }}
),

measures as (
    select measure_code, dimension_code from {{ ref('stg_reference__measures') }}
),

targets as (
    select indicator_code, tier, target from {{ ref('stg_reference__indicator_targets') }}
),

current_values as (
    select unit_code, period, indicator_code, value, is_na
    from {{ ref('int_indicator_values_current') }}
),

applicable_indicators as (
    select
        indicator_tiers.tier,
        indicators.indicator_code,
        indicators.measure_code,
        measures.dimension_code,
        indicators.scoring_method,
        indicators.direction,
        indicators.param_a,
        indicators.param_b,
        indicators.full_marks
    from indicators
    inner join indicator_tiers
        on indicator_tiers.indicator_code = indicators.indicator_code
    inner join measures
        on measures.measure_code = indicators.measure_code
),

grid as (
    select
        unit_periods.unit_code,
        unit_periods.period,
        unit_periods.tier,
        unit_periods.peer_group,
        applicable_indicators.indicator_code,
        applicable_indicators.measure_code,
        applicable_indicators.dimension_code,
        applicable_indicators.scoring_method,
        applicable_indicators.direction,
        applicable_indicators.param_a,
        applicable_indicators.param_b,
        applicable_indicators.full_marks,
        targets.target,
        case when coalesce(current_values.is_na, false) then null
             else current_values.value end                          as raw_value,
        coalesce(current_values.is_na, false)                       as is_na,
        (not coalesce(current_values.is_na, false)
            and current_values.value is null)                       as is_missing
    from unit_periods
    inner join applicable_indicators
        on applicable_indicators.tier = unit_periods.tier
    left join targets
        on targets.indicator_code = applicable_indicators.indicator_code
       and targets.tier = unit_periods.tier
    left join current_values
        on current_values.unit_code = unit_periods.unit_code
       and current_values.period = unit_periods.period
       and current_values.indicator_code = applicable_indicators.indicator_code
)

select * from grid
