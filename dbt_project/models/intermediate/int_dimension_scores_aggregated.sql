-- Rule 5 (dimension score). For each scored (unit, period) and each of the five dimensions:
--   score = dimension full_marks x sum(score) / sum(max_score) over the unit's non-NA scored
--   indicators of the dimension (indicator -> measure -> dimension); 0 when sum(max_score) = 0.
--   max_score = the dimension's full_marks.
-- Sums are exact (DECIMAL): a double sum depends on the order rows arrive in, so re-scoring the
-- same returns could differ in the last digit; analysts must get the same digits every run.
with unit_periods as (
    select unit_code, period from {{ ref('int_unit_periods_selected') }}
),

dimensions as (
    select dimension_code, full_marks from {{ ref('stg_reference__dimensions') }}
),

indicator_scores as (
    select * from {{ ref('int_indicator_scores_computed') }}
    where not is_na
),

indicator_sums as (
    select
        unit_code,
        period,
        dimension_code,
        sum(score::decimal(18, 4))::double      as indicator_points,
        sum(max_score::decimal(18, 4))::double  as indicator_max_points,
        count(*)        as indicator_count
    from indicator_scores
    group by unit_code, period, dimension_code
),

aggregated as (
    select
        unit_periods.unit_code,
        unit_periods.period,
        dimensions.dimension_code,
        case
            when coalesce(indicator_sums.indicator_max_points, 0) = 0 then 0.0
            else round(dimensions.full_marks * indicator_sums.indicator_points
                       / indicator_sums.indicator_max_points, 4)
        end                                             as score,
        dimensions.full_marks                           as max_score,
        coalesce(indicator_sums.indicator_points, 0)    as indicator_points,
        coalesce(indicator_sums.indicator_max_points, 0) as indicator_max_points,
        coalesce(indicator_sums.indicator_count, 0)     as indicator_count
    from unit_periods
    cross join dimensions
    left join indicator_sums
        on indicator_sums.unit_code = unit_periods.unit_code
       and indicator_sums.period = unit_periods.period
       and indicator_sums.dimension_code = dimensions.dimension_code
)

select * from aggregated
