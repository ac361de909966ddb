{{ config(meta={'dagster': {'ref': {'name': 'int_framework_nodes_resolved'}}}) }}
-- Each framework version's tree: exactly one root, every parent exists in the same version,
-- no cycle (depth within var framework_max_depth, which the aggregation unrolls), every
-- aggregate node has a child, and a `sum` node with a weight has children whose weights add up
-- to it (annual-only leaves are not part of the quarterly sum). Returns the offending nodes with
-- the reason.
{%- set max_depth = var('framework_max_depth', 8) %}
with nodes as (
    select * from {{ ref('int_framework_nodes_resolved') }}
),

roots as (
    select framework_version, count(*) filter (where parent_code is null and not is_leaf) as root_count
    from nodes group by framework_version
),

annual_leaves as (
    select framework_version, indicator_code as node_code
    from {{ ref('stg_reference__framework_indicators') }}
    where frequency = 'annual'
),

children as (
    select
        nodes.framework_version,
        nodes.parent_code,
        sum(nodes.weight) filter (where annual_leaves.node_code is null) as children_weight,
        count(*)                                                         as child_count
    from nodes
    left join annual_leaves
        on annual_leaves.framework_version = nodes.framework_version
       and annual_leaves.node_code = nodes.node_code
    where nodes.parent_code is not null
    group by nodes.framework_version, nodes.parent_code
)

select roots.framework_version, null as node_code, 'root count ' || roots.root_count as reason
from roots where roots.root_count <> 1
union all
select nodes.framework_version, nodes.node_code, 'parent not found: ' || nodes.parent_code
from nodes
left join nodes as parents
    on parents.framework_version = nodes.framework_version and parents.node_code = nodes.parent_code
where nodes.parent_code is not null and (parents.node_code is null or parents.is_leaf)
union all
select framework_version, node_code, 'deeper than framework_max_depth'
from nodes where depth > {{ max_depth }} or (is_leaf and depth = 0)
union all
select nodes.framework_version, nodes.node_code, 'aggregate node without children'
from nodes
left join children
    on children.framework_version = nodes.framework_version and children.parent_code = nodes.node_code
where not nodes.is_leaf and children.child_count is null
union all
select nodes.framework_version, nodes.node_code, 'sum node weight differs from its children'
from nodes
inner join children
    on children.framework_version = nodes.framework_version and children.parent_code = nodes.node_code
where nodes.aggregation = 'sum' and nodes.weight is not null
  and abs(nodes.weight - children.children_weight) > 1e-9
