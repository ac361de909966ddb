-- Rule 7 (bonus and deduction). Items are the framework version's bonus / deduction leaves
-- (method `points`), reported by evaluators per unit.
--   counted incidents = value - tolerated (容错: the value of the item's tolerated_indicator_code,
--                       when set), at least 0;
--   item points = least(weight, counted x param_a)                       (per-item cap);
--   bonus = least(bonus_cap, sum of bonus items); deduction = least(deduction_cap, sum of deduction items),
--   with the caps of the run's framework version (scoring_params).
with runs as (
    select unit_code, period, framework_version from {{ for_selected_periods(ref('int_scoring_runs_assigned')) }}
),

current_values as (
    select unit_code, period, indicator_code, value
    from {{ for_selected_periods(ref('int_indicator_values_current')) }}
    where value is not null
      and not is_na
),

adjustment_items as (
    select framework_version, indicator_code, kind, param_a, weight, tolerated_indicator_code
    from {{ ref('stg_reference__framework_indicators') }}
    where kind in ('bonus', 'deduction')
),

params as (
    select framework_version, bonus_cap, deduction_cap from {{ ref('stg_reference__scoring_params') }}
),

item_incidents as (
    select
        runs.unit_code,
        runs.period,
        runs.framework_version,
        adjustment_items.indicator_code,
        adjustment_items.kind,
        adjustment_items.param_a,
        adjustment_items.weight,
        reported.value                                  as reported_count,
        coalesce(tolerated.value, 0.0)                  as tolerated_count,
        greatest(0.0, reported.value - coalesce(tolerated.value, 0.0)) as counted_incidents
    from runs
    inner join adjustment_items
        on adjustment_items.framework_version = runs.framework_version
    inner join current_values as reported
        on reported.unit_code = runs.unit_code
       and reported.period = runs.period
       and reported.indicator_code = adjustment_items.indicator_code
    left join current_values as tolerated
        on tolerated.unit_code = runs.unit_code
       and tolerated.period = runs.period
       and tolerated.indicator_code = adjustment_items.tolerated_indicator_code
),

item_points as (
    select
        *,
        least(weight, counted_incidents * coalesce(param_a, 1.0)) as points
    from item_incidents
),

uncapped as (
    select
        unit_code,
        period,
        framework_version,
        coalesce(sum(case when kind = 'bonus' then points::decimal(38, 18) end)::double, 0.0)     as bonus_uncapped,
        coalesce(sum(case when kind = 'deduction' then points::decimal(38, 18) end)::double, 0.0) as deduction_uncapped
    from item_points
    group by unit_code, period, framework_version
),

capped as (
    select
        uncapped.unit_code,
        uncapped.period,
        uncapped.framework_version,
        uncapped.bonus_uncapped,
        uncapped.deduction_uncapped,
        least(params.bonus_cap, uncapped.bonus_uncapped)            as bonus,
        least(params.deduction_cap, uncapped.deduction_uncapped)    as deduction
    from uncapped
    inner join params
        on params.framework_version = uncapped.framework_version
)

select * from capped
