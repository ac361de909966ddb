-- Dimension (五型) scores: one row per scored unit, period and node of type `dimension` of the
-- period's official framework.
with node_scores as (
    select * from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
    where is_official
      and node_type = 'dimension'
),

nodes as (
    select * from {{ ref('int_framework_nodes_resolved') }}
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
),

peer_groups as (
    select peer_group, peer_group_name from {{ ref('stg_reference__peer_groups') }}
),

indicator_counts as (
    select unit_code, period, framework_version, dimension_code, count(*) as indicator_count
    from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where is_official
      and is_counted
      and frequency is distinct from 'annual'
    group by all
)

select
    cast(node_scores.unit_code as varchar)              as unit_code,
    cast(units.unit_name as varchar)                    as unit_name,
    cast(node_scores.peer_group as varchar)             as peer_group,
    cast(peer_groups.peer_group_name as varchar)        as peer_group_name,
    cast(node_scores.period as varchar)                 as period,
    cast(node_scores.node_code as varchar)              as dimension,
    cast(nodes.node_name_zh as varchar)                 as dimension_name_zh,
    cast(nodes.node_name_en as varchar)                 as dimension_name_en,
    cast(round(node_scores.score, 4) as double)         as score,
    cast(node_scores.score as double)                   as score_exact,
    cast(node_scores.max_score as double)               as max_score,
    cast(coalesce(indicator_counts.indicator_count, 0) as bigint) as indicator_count,
    cast(nodes.sort_order as integer)                   as sort_order,
    cast(node_scores.framework_version as varchar)      as framework_version
from node_scores
inner join nodes
    on nodes.framework_version = node_scores.framework_version
   and nodes.node_code = node_scores.node_code
left join units
    on units.unit_code = node_scores.unit_code
left join peer_groups
    on peer_groups.peer_group = node_scores.peer_group
left join indicator_counts
    on indicator_counts.unit_code = node_scores.unit_code
   and indicator_counts.period = node_scores.period
   and indicator_counts.framework_version = node_scores.framework_version
   and indicator_counts.dimension_code = node_scores.node_code
order by node_scores.period, node_scores.unit_code, nodes.sort_order
