-- Rule F2 (node positions). Every node of every version's tree, aggregate or leaf, with its depth
-- (root = 0), its root, and the codes of its nearest `part`, `dimension` and `measure` ancestors
-- (or itself), which the published marts use as 评价部分 / 一级 / 二级指标.
with nodes as (
    select framework_version, node_code, parent_code, node_type, node_name_zh, node_name_en,
           weight, aggregation, sort_order, false as is_leaf
    from {{ ref('stg_reference__framework_nodes') }}
),

leaves as (
    select framework_version, indicator_code as node_code, parent_code, 'indicator' as node_type,
           null as node_name_zh, null as node_name_en, weight, null as aggregation, sort_order,
           true as is_leaf
    from {{ ref('stg_reference__framework_indicators') }}
    where kind = 'scored'
),

all_nodes as (
    select * from nodes
    union all
    select * from leaves
),

ancestors as (
    select * from {{ ref('int_framework_ancestors_listed') }}
),

ancestor_types as (
    select ancestors.framework_version, ancestors.node_code, ancestors.ancestor_code,
           ancestors.distance, nodes.node_type as ancestor_type
    from ancestors
    inner join nodes
        on nodes.framework_version = ancestors.framework_version
       and nodes.node_code = ancestors.ancestor_code
),

ancestry as (
    select
        framework_version,
        node_code,
        max(distance)                                                               as depth,
        arg_max(ancestor_code, distance)                                            as root_code,
        arg_min(ancestor_code, distance) filter (where ancestor_type = 'dimension')  as dimension_ancestor,
        arg_min(ancestor_code, distance) filter (where ancestor_type = 'measure')    as measure_ancestor,
        arg_min(ancestor_code, distance) filter (where ancestor_type = 'part')       as part_ancestor
    from ancestor_types
    group by framework_version, node_code
),

positions as (
    select
        all_nodes.*,
        coalesce(ancestry.depth, 0)                                     as depth,
        coalesce(ancestry.root_code, all_nodes.node_code)               as root_code,
        case when all_nodes.node_type = 'dimension' then all_nodes.node_code
             else ancestry.dimension_ancestor end                       as dimension_code,
        case when all_nodes.node_type = 'measure' then all_nodes.node_code
             else ancestry.measure_ancestor end                         as measure_code,
        case when all_nodes.node_type = 'part' then all_nodes.node_code
             else ancestry.part_ancestor end                            as part_code
    from all_nodes
    left join ancestry
        on ancestry.framework_version = all_nodes.framework_version
       and ancestry.node_code = all_nodes.node_code
)

select * from positions
