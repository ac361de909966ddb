-- Rule 6 (indicator score = sum of the dimension scores, 0..100) and
-- rule 8 (total_score = round(greatest(score_floor, indicator_score + bonus - deduction), 2)).
with unit_periods as (
    select * from {{ ref('int_unit_periods_selected') }}
),

dimension_scores as (
    select * from {{ ref('int_dimension_scores_aggregated') }}
),

adjustments as (
    select unit_code, period, bonus, deduction from {{ ref('int_adjustments_totalled') }}
),

params as (
    select score_floor from {{ ref('stg_reference__scoring_params') }}
),

indicator_scores as (
    select unit_code, period, sum(score::decimal(18, 4))::double as indicator_score
    from dimension_scores
    group by unit_code, period
),

totalled as (
    select
        unit_periods.unit_code,
        unit_periods.period,
        unit_periods.tier,
        unit_periods.peer_group,
        round(coalesce(indicator_scores.indicator_score, 0.0), 4)   as indicator_score,
        coalesce(adjustments.bonus, 0.0)                            as bonus,
        coalesce(adjustments.deduction, 0.0)                        as deduction,
        round(greatest(
            coalesce(params.score_floor, 0.0),
            coalesce(indicator_scores.indicator_score, 0.0)
                + coalesce(adjustments.bonus, 0.0)
                - coalesce(adjustments.deduction, 0.0)
        ), 2)                                                       as total_score
    from unit_periods
    cross join params
    left join indicator_scores
        on indicator_scores.unit_code = unit_periods.unit_code
       and indicator_scores.period = unit_periods.period
    left join adjustments
        on adjustments.unit_code = unit_periods.unit_code
       and adjustments.period = unit_periods.period
)

select * from totalled
