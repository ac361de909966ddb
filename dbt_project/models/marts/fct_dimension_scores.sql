-- Dimension (五型) scores: one row per scored unit, period and dimension.
with dimension_scores as (
    select * from {{ ref('int_dimension_scores_aggregated') }}
),

dimensions as (
    select * from {{ ref('stg_reference__dimensions') }}
)

select
    cast(dimension_scores.unit_code as varchar)             as unit_code,
    cast(dimension_scores.period as varchar)                as period,
    cast(dimension_scores.dimension_code as varchar)        as dimension,
    cast(dimensions.dimension_name_zh as varchar)           as dimension_name_zh,
    cast(dimensions.dimension_name_en as varchar)           as dimension_name_en,
    cast(dimension_scores.score as double)                  as score,
    cast(dimension_scores.max_score as double)              as max_score,
    cast(dimension_scores.indicator_count as bigint)        as indicator_count,
    cast(dimensions.sort_order as integer)                  as sort_order
from dimension_scores
inner join dimensions
    on dimensions.dimension_code = dimension_scores.dimension_code
order by dimension_scores.period, dimension_scores.unit_code, dimensions.sort_order
