-- Rule 6 (indicator score = the score of the run's root node, e.g. the sum of the five dimensions
-- or the weighted evaluation parts, rescaled when the version declares composite_rescale:
-- int_composite_scores_rescaled) and rule 8 (total_score_exact = clamp(indicator_score + bonus
-- - deduction, score_floor, score_ceiling) with the floor and ceiling of the run's framework
-- version, no ceiling when score_ceiling is blank), less the ledger's overdue deductions of the
-- quarter (rule R3, int_rectification_deductions_assigned; outside the deduction cap):
-- total = clamp(indicator_score + bonus - deduction - overdue_deduction, floor, ceiling). Nothing upstream is rounded; the published
-- total_score = round(total_score_exact, score_decimals) (default 2) is the only rounding here.
with runs as (
    select * from {{ for_selected_periods(ref('int_scoring_runs_assigned')) }}
),

root_scores as (
    select unit_code, period, framework_version, indicator_score
    from {{ for_selected_periods(ref('int_composite_scores_rescaled')) }}
),

adjustments as (
    select unit_code, period, framework_version, bonus, deduction
    from {{ for_selected_periods(ref('int_adjustments_totalled')) }}
),

overdue as (
    select unit_code, period, sum(points::decimal(38, 18))::double as overdue_deduction
    from {{ for_selected_periods(ref('int_rectification_deductions_assigned')) }}
    group by unit_code, period
),

params as (
    select framework_version, score_floor, score_ceiling, score_decimals from {{ ref('stg_reference__scoring_params') }}
),

totalled as (
    select
        runs.unit_code,
        runs.period,
        runs.period_index,
        runs.framework_version,
        runs.is_official,
        runs.tier,
        runs.peer_group,
        coalesce(root_scores.indicator_score, 0.0)                  as indicator_score,
        coalesce(adjustments.bonus, 0.0)                            as bonus,
        coalesce(adjustments.deduction, 0.0)                        as deduction,
        coalesce(overdue.overdue_deduction, 0.0)                    as overdue_deduction,
        least(
            coalesce(params.score_ceiling, 'infinity'::double),
            greatest(
                coalesce(params.score_floor, '-infinity'::double),
                coalesce(root_scores.indicator_score, 0.0)
                    + coalesce(adjustments.bonus, 0.0)
                    - coalesce(adjustments.deduction, 0.0)
                    - coalesce(overdue.overdue_deduction, 0.0))
        )                                                           as total_score_exact,
        coalesce(params.score_decimals, 2)                          as score_decimals
    from runs
    left join params
        on params.framework_version = runs.framework_version
    left join root_scores
        on root_scores.unit_code = runs.unit_code
       and root_scores.period = runs.period
       and root_scores.framework_version = runs.framework_version
    left join adjustments
        on adjustments.unit_code = runs.unit_code
       and adjustments.period = runs.period
       and adjustments.framework_version = runs.framework_version
    left join overdue
        on overdue.unit_code = runs.unit_code
       and overdue.period = runs.period
)

select
    totalled.* exclude (score_decimals),
    round(total_score_exact, score_decimals)                        as total_score
from totalled
