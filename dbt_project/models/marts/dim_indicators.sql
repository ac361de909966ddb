-- The indicator catalogue with how the newest framework version scores each indicator
-- (indicator -> measure -> dimension -> evaluation part, method, parameters, weight). Older versions: fct_node_scores
-- and the framework_* seeds.
with indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

newest_version as (
    select framework_version
    from {{ ref('stg_reference__framework_versions') }}
    order by first_period_index desc
    limit 1
),

framework_indicators as (
    select framework_indicators.*
    from {{ ref('stg_reference__framework_indicators') }} as framework_indicators
    inner join newest_version using (framework_version)
),

positions as (
    select nodes.*
    from {{ ref('int_framework_nodes_resolved') }} as nodes
    inner join newest_version using (framework_version)
)

select
    cast(indicators.indicator_code as varchar)      as indicator_code,
    cast(indicators.kind as varchar)                as kind,
    cast(indicators.indicator_name_zh as varchar)   as indicator_name_zh,
    cast(indicators.indicator_name_en as varchar)   as indicator_name_en,
    cast(leaf.measure_code as varchar)              as measure_code,
    cast(measures.node_name_zh as varchar)          as measure_name_zh,
    cast(measures.node_name_en as varchar)          as measure_name_en,
    cast(leaf.dimension_code as varchar)            as dimension_code,
    cast(dimensions.node_name_zh as varchar)        as dimension_name_zh,
    cast(dimensions.node_name_en as varchar)        as dimension_name_en,
    cast(indicators.unit_of_measure as varchar)     as unit_of_measure,
    cast(indicators.value_type as varchar)          as value_type,
    cast(indicators.direction as varchar)           as direction,
    cast(framework_indicators.method as varchar)    as scoring_method,
    cast(framework_indicators.param_a as double)    as param_a,
    cast(framework_indicators.param_b as double)    as param_b,
    cast(framework_indicators.weight as double)     as full_marks,
    cast(coalesce(framework_indicators.tiers, indicators.tiers) as varchar) as tiers,
    cast(indicators.source as varchar)              as source,
    cast(indicators.required as boolean)            as required,
    cast(indicators.allow_na as boolean)            as allow_na,
    cast(indicators.source_doc as varchar)          as source_doc,
    cast(indicators.description_zh as varchar)      as description_zh,
    cast(framework_indicators.framework_version as varchar) as framework_version,
    cast(framework_indicators.missing_policy as varchar)    as missing_policy,
    cast(framework_indicators.parent_code as varchar)       as parent_code,
    cast(leaf.part_code as varchar)                 as part_code,
    cast(parts.node_name_zh as varchar)             as part_name_zh,
    cast(parts.node_name_en as varchar)             as part_name_en,
    cast(framework_indicators.frequency as varchar) as frequency
from indicators
left join framework_indicators
    on framework_indicators.indicator_code = indicators.indicator_code
left join positions as leaf
    on leaf.node_code = indicators.indicator_code
   and leaf.is_leaf
left join positions as measures
    on measures.node_code = leaf.measure_code
   and not measures.is_leaf
left join positions as dimensions
    on dimensions.node_code = leaf.dimension_code
   and not dimensions.is_leaf
left join positions as parts
    on parts.node_code = leaf.part_code
   and not parts.is_leaf
order by parts.sort_order nulls last, dimensions.sort_order nulls last, measures.sort_order nulls last,
         indicators.indicator_code
