-- The indicator framework flattened: indicator -> measure -> dimension, with scoring settings.
with indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

measures as (
    select * from {{ ref('stg_reference__measures') }}
),

dimensions as (
    select * from {{ ref('stg_reference__dimensions') }}
)

select
    cast(indicators.indicator_code as varchar)      as indicator_code,
    cast(indicators.kind as varchar)                as kind,
    cast(indicators.indicator_name_zh as varchar)   as indicator_name_zh,
    cast(indicators.indicator_name_en as varchar)   as indicator_name_en,
    cast(indicators.measure_code as varchar)        as measure_code,
    cast(measures.measure_name_zh as varchar)       as measure_name_zh,
    cast(measures.measure_name_en as varchar)       as measure_name_en,
    cast(measures.dimension_code as varchar)        as dimension_code,
    cast(dimensions.dimension_name_zh as varchar)   as dimension_name_zh,
    cast(dimensions.dimension_name_en as varchar)   as dimension_name_en,
    cast(indicators.unit_of_measure as varchar)     as unit_of_measure,
    cast(indicators.value_type as varchar)          as value_type,
    cast(indicators.direction as varchar)           as direction,
    cast(indicators.scoring_method as varchar)      as scoring_method,
    cast(indicators.param_a as double)              as param_a,
    cast(indicators.param_b as double)              as param_b,
    cast(indicators.full_marks as double)           as full_marks,
    cast(indicators.tiers as varchar)               as tiers,
    cast(indicators.source as varchar)              as source,
    cast(indicators.required as boolean)            as required,
    cast(indicators.allow_na as boolean)            as allow_na,
    cast(indicators.source_doc as varchar)          as source_doc,
    cast(indicators.description_zh as varchar)      as description_zh
from indicators
left join measures
    on measures.measure_code = indicators.measure_code
left join dimensions
    on dimensions.dimension_code = measures.dimension_code
order by dimensions.sort_order nulls last, measures.sort_order nulls last, indicators.indicator_code
