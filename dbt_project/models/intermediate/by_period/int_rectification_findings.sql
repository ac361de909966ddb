-- Rule R1 (整改台账: what opens an item). Per unit and quarter under the official framework:
--   red_light : each quarterly scored indicator lit red (得分或完成率低于黄灯线，或缺报);
--   deduction : each deduction item (督查通报, DD…) with counted incidents > 0, counted as in
--               rule 7 (int_adjustments_totalled): reported − tolerated (容错).
-- The ledger takes these rows when the period is finalised (orchestration.lifecycle), so items
-- come from official results only; item_id is stable: <source letter>-<unit>-<period>-<indicator>.
with red_lights as (
    select unit_code, period, indicator_code, score, max_score, raw_value
    from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where is_official
      and light = 'red'
      and frequency is distinct from 'annual'
),

runs as (
    select unit_code, period, framework_version
    from {{ for_selected_periods(ref('int_scoring_runs_assigned')) }}
    where is_official
),

current_values as (
    select unit_code, period, indicator_code, value
    from {{ for_selected_periods(ref('int_indicator_values_current')) }}
    where value is not null and not is_na
),

deduction_items as (
    select framework_version, indicator_code, tolerated_indicator_code
    from {{ ref('stg_reference__framework_indicators') }}
    where kind = 'deduction'
),

indicators as (
    select indicator_code, indicator_name_zh from {{ ref('stg_reference__indicators') }}
),

incidents as (
    select
        runs.unit_code,
        runs.period,
        deduction_items.indicator_code,
        reported.value - coalesce(tolerated.value, 0.0) as counted_incidents
    from runs
    inner join deduction_items
        on deduction_items.framework_version = runs.framework_version
    inner join current_values as reported
        on reported.unit_code = runs.unit_code
       and reported.period = runs.period
       and reported.indicator_code = deduction_items.indicator_code
    left join current_values as tolerated
        on tolerated.unit_code = runs.unit_code
       and tolerated.period = runs.period
       and tolerated.indicator_code = deduction_items.tolerated_indicator_code
    where reported.value - coalesce(tolerated.value, 0.0) > 0
),

findings as (
    select
        'R-' || red_lights.unit_code || '-' || red_lights.period || '-' || red_lights.indicator_code as item_id,
        'red_light' as source,
        red_lights.unit_code,
        red_lights.period,
        red_lights.indicator_code,
        '红灯：' || indicators.indicator_name_zh
            || case when red_lights.raw_value is null then '（缺报）'
                    else '（得分 ' || round(red_lights.score, 2) || ' / ' || round(red_lights.max_score, 2) || '）' end
            as problem
    from red_lights
    inner join indicators
        on indicators.indicator_code = red_lights.indicator_code
    union all
    select
        'D-' || incidents.unit_code || '-' || incidents.period || '-' || incidents.indicator_code,
        'deduction',
        incidents.unit_code,
        incidents.period,
        incidents.indicator_code,
        '督查扣分事项：' || indicators.indicator_name_zh || ' ' || incidents.counted_incidents::bigint || ' 起'
    from incidents
    inner join indicators
        on indicators.indicator_code = incidents.indicator_code
)

select * from findings
