-- Every node of the tree (indicators, measures, dimensions, parts, composite) for every scoring
-- run: the official framework of the period and the newer versions that re-score it for comparison.
with node_scores as (
    select * from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
),

nodes as (
    select * from {{ ref('int_framework_nodes_resolved') }}
)

select
    cast(node_scores.unit_code as varchar)          as unit_code,
    cast(node_scores.period as varchar)             as period,
    cast(node_scores.framework_version as varchar)  as framework_version,
    cast(node_scores.is_official as boolean)        as is_official,
    cast(node_scores.node_code as varchar)          as node_code,
    cast(node_scores.parent_code as varchar)        as parent_code,
    cast(node_scores.node_type as varchar)          as node_type,
    cast(nodes.node_name_zh as varchar)             as node_name_zh,
    cast(node_scores.depth as integer)              as depth,
    cast(node_scores.is_leaf as boolean)            as is_leaf,
    cast(node_scores.is_counted as boolean)         as is_counted,
    cast(node_scores.ratio as double)               as ratio,
    cast(round(node_scores.score, 4) as double)     as score,
    cast(node_scores.score as double)               as score_exact,
    cast(node_scores.max_score as double)           as max_score,
    cast(node_scores.share_in_parent as double)     as share_in_parent
from node_scores
inner join nodes
    on nodes.framework_version = node_scores.framework_version
   and nodes.node_code = node_scores.node_code
order by node_scores.period, node_scores.unit_code, node_scores.framework_version, node_scores.depth, node_scores.node_code
