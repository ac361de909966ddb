-- Rule 7 (bonus and deduction). Items are bonus / deduction indicators (method `points`) that
-- evaluators report per unit. item points = least(full_marks, value x param_a);
-- bonus = least(bonus_cap, sum of bonus items); deduction = least(deduction_cap, sum of deduction items).
with current_values as (
    select unit_code, period, indicator_code, value
    from {{ ref('int_indicator_values_current') }}
    where value is not null
      and not is_na
),

adjustment_items as (
    select indicator_code, kind, param_a, full_marks
    from {{ ref('stg_reference__indicators') }}
    where kind in ('bonus', 'deduction')
),

params as (
    select bonus_cap, deduction_cap from {{ ref('stg_reference__scoring_params') }}
),

item_points as (
    select
        current_values.unit_code,
        current_values.period,
        adjustment_items.kind,
        least(adjustment_items.full_marks,
              current_values.value * coalesce(adjustment_items.param_a, 1.0)) as points
    from current_values
    inner join adjustment_items
        on adjustment_items.indicator_code = current_values.indicator_code
),

uncapped as (
    select
        unit_code,
        period,
        coalesce(sum(case when kind = 'bonus' then points::decimal(18, 4) end)::double, 0.0)     as bonus_uncapped,
        coalesce(sum(case when kind = 'deduction' then points::decimal(18, 4) end)::double, 0.0) as deduction_uncapped
    from item_points
    group by unit_code, period
),

capped as (
    select
        uncapped.unit_code,
        uncapped.period,
        uncapped.bonus_uncapped,
        uncapped.deduction_uncapped,
        least(params.bonus_cap, uncapped.bonus_uncapped)            as bonus,
        least(params.deduction_cap, uncapped.deduction_uncapped)    as deduction
    from uncapped
    cross join params
)

select * from capped
