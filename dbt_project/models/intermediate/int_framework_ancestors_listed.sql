-- Rule F1 (the tree). Closure of each framework version's tree: one row per node (aggregate node
-- or scored leaf) and each of its ancestors, with the distance (1 = parent). Walked with a
-- recursive CTE, so the tree can be of any depth.
with recursive
nodes as (
    select framework_version, node_code, parent_code
    from {{ ref('stg_reference__framework_nodes') }}
),

leaves as (
    select framework_version, indicator_code as node_code, parent_code
    from {{ ref('stg_reference__framework_indicators') }}
    where kind = 'scored'
),

tree_edges as (
    select * from nodes
    union all
    select * from leaves
),

ancestors as (
    select framework_version, node_code, parent_code as ancestor_code, 1 as distance
    from tree_edges
    where parent_code is not null
    union all
    select ancestors.framework_version, ancestors.node_code, tree_edges.parent_code, ancestors.distance + 1
    from ancestors
    inner join tree_edges
        on tree_edges.framework_version = ancestors.framework_version
       and tree_edges.node_code = ancestors.ancestor_code
    where tree_edges.parent_code is not null
      and ancestors.distance < 50
)

select framework_version, node_code, ancestor_code, distance from ancestors
