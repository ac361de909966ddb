-- The state of each assessment period (quarter with any file received or any decision):
--   collecting  填报中       before the deadline (报送截止日, Beijing date) while returns are missing;
--   provisional 暂定（公示） after the deadline, or earlier once every expected value is in;
--   final       定稿         the office finalised it (int_period_finality_resolved).
-- Returns expected / received / accepted per kind (unit: each unit's own return; evaluation: each
-- evaluator that reports a scored indicator), values expected and received per kind, and the
-- completeness = values received / values expected. Rebuilt by every nightly run, so the state
-- follows the calendar; `status_as_of` says when (Beijing time).
with expected as (
    select * from {{ ref('int_period_returns_expected') }}
),

files as (
    select * from {{ ref('int_return_files_versioned') }}
    where regexp_full_match(period, '[0-9]{4}Q[1-4]')
),

calendar as (
    select period, deadline from {{ ref('stg_reference__periods') }}
),

finality as (
    select * from {{ ref('int_period_finality_resolved') }}
),

unit_count as (
    select count(*) as units_expected from {{ ref('stg_reference__units') }}
),

values_by_period as (
    select
        period,
        count(*) filter (where source = 'self')                         as unit_values_expected,
        count(*) filter (where source = 'self' and is_received)         as unit_values_received,
        count(*) filter (where source <> 'self')                        as evaluator_values_expected,
        count(*) filter (where source <> 'self' and is_received)        as evaluator_values_received,
        count(distinct source) filter (where source <> 'self')          as evaluator_returns_expected
    from expected
    group by period
),

returns_by_period as (
    select
        period,
        count(distinct submitter_code) filter (where return_type = 'unit')                      as unit_returns_received,
        count(distinct submitter_code) filter (where return_type = 'unit' and is_current)       as unit_returns_accepted,
        count(distinct submitter_code) filter (where return_type = 'evaluation')                as evaluator_returns_received,
        count(distinct submitter_code) filter (where return_type = 'evaluation' and is_current) as evaluator_returns_accepted,
        count(*) filter (where status = 'rejected')                                             as files_rejected,
        count(*) filter (where status = 'held')                                                 as files_held
    from files
    group by period
),

today as (
    select cast((get_current_timestamp() at time zone 'UTC') + interval 8 hour as timestamp) as beijing_now
),

assembled as (
    select
        values_by_period.period,
        calendar.deadline,
        unit_count.units_expected                                       as unit_returns_expected,
        coalesce(returns_by_period.unit_returns_received, 0)            as unit_returns_received,
        coalesce(returns_by_period.unit_returns_accepted, 0)            as unit_returns_accepted,
        values_by_period.evaluator_returns_expected,
        coalesce(returns_by_period.evaluator_returns_received, 0)       as evaluator_returns_received,
        coalesce(returns_by_period.evaluator_returns_accepted, 0)       as evaluator_returns_accepted,
        coalesce(returns_by_period.files_rejected, 0)                   as files_rejected,
        coalesce(returns_by_period.files_held, 0)                       as files_held,
        values_by_period.unit_values_expected,
        values_by_period.unit_values_received,
        values_by_period.evaluator_values_expected,
        values_by_period.evaluator_values_received,
        (values_by_period.unit_values_received + values_by_period.evaluator_values_received)::double
            / nullif(values_by_period.unit_values_expected + values_by_period.evaluator_values_expected, 0)
                                                                        as completeness,
        coalesce(finality.is_final, false)                              as is_final,
        finality.finalised_at,
        finality.finalised_by,
        finality.finalisation_reason,
        finality.finalised_run_id,
        finality.finalised_code_version,
        finality.reopened_at,
        finality.reopened_by,
        finality.reopening_reason,
        today.beijing_now
    from values_by_period
    cross join unit_count
    cross join today
    left join calendar
        on calendar.period = values_by_period.period
    left join returns_by_period
        on returns_by_period.period = values_by_period.period
    left join finality
        on finality.period = values_by_period.period
),

stated as (
    select
        *,
        case
            when is_final then 'final'
            when cast(beijing_now as date) > deadline or completeness >= 1 then 'provisional'
            else 'collecting'
        end as state
    from assembled
)

select
    cast(period as varchar)                     as period,
    cast(state as varchar)                      as state,
    cast(case state when 'final' then '定稿' when 'provisional' then '暂定（公示）'
                    else '填报中' end as varchar) as state_zh,
    cast(deadline as date)                      as deadline,
    cast(unit_returns_expected as bigint)       as unit_returns_expected,
    cast(unit_returns_received as bigint)       as unit_returns_received,
    cast(unit_returns_accepted as bigint)       as unit_returns_accepted,
    cast(evaluator_returns_expected as bigint)  as evaluator_returns_expected,
    cast(evaluator_returns_received as bigint)  as evaluator_returns_received,
    cast(evaluator_returns_accepted as bigint)  as evaluator_returns_accepted,
    cast(files_rejected as bigint)              as files_rejected,
    cast(files_held as bigint)                  as files_held,
    cast(unit_values_expected as bigint)        as unit_values_expected,
    cast(unit_values_received as bigint)        as unit_values_received,
    cast(evaluator_values_expected as bigint)   as evaluator_values_expected,
    cast(evaluator_values_received as bigint)   as evaluator_values_received,
    cast(completeness as double)                as completeness,
    cast(is_final as boolean)                   as is_final,
    cast(finalised_at as timestamp)             as finalised_at,
    cast(finalised_by as varchar)               as finalised_by,
    cast(finalisation_reason as varchar)        as finalisation_reason,
    cast(finalised_run_id as varchar)           as finalised_run_id,
    cast(finalised_code_version as varchar)     as finalised_code_version,
    cast(reopened_at as timestamp)              as reopened_at,
    cast(reopened_by as varchar)                as reopened_by,
    cast(reopening_reason as varchar)           as reopening_reason,
    cast(beijing_now as timestamp)              as status_as_of
from stated
order by period
