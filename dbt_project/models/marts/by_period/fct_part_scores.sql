-- Evaluation part scores (评价部分: 指标考核, 满意度, 领导评价 …): one row per scored unit, period and
-- node of type `part` of the period's official framework. score = points the part adds to the
-- composite (ratio x weight); score_100 = the part's own score on a 100-point scale (ratio x 100).
-- A part none of whose indicators has a value is shown as missing (score null, is_missing) until
-- the period is final; then the framework's missing_policy applies as scored (int_unit_coverage_measured).
with node_scores as (
    select * from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
    where is_official
      and node_type = 'part'
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

coverage as (
    select unit_code, period, framework_version, missing_parts, is_final
    from {{ for_selected_periods(ref('int_unit_coverage_measured')) }}
),

flagged as (
    select
        node_scores.*,
        coalesce(list_contains(string_split(coverage.missing_parts, '|'), node_scores.node_code), false) as is_missing,
        coalesce(coverage.is_final, false) as is_final
    from node_scores
    left join coverage
        on coverage.unit_code = node_scores.unit_code
       and coverage.period = node_scores.period
       and coverage.framework_version = node_scores.framework_version
)

select
    cast(node_scores.unit_code as varchar)              as unit_code,
    cast(units.unit_name as varchar)                    as unit_name,
    cast(node_scores.peer_group as varchar)             as peer_group,
    cast(peer_groups.peer_group_name as varchar)        as peer_group_name,
    cast(node_scores.period as varchar)                 as period,
    cast(node_scores.node_code as varchar)              as part,
    cast(nodes.node_name_zh as varchar)                 as part_name_zh,
    cast(nodes.node_name_en as varchar)                 as part_name_en,
    cast(case when node_scores.is_missing and not node_scores.is_final then null
              else round(node_scores.score, 4) end as double) as score,
    cast(case when node_scores.is_missing and not node_scores.is_final then null
              else node_scores.score end as double)          as score_exact,
    cast(node_scores.max_score as double)               as max_score,
    cast(case when node_scores.is_missing and not node_scores.is_final then null
              else round(node_scores.ratio * 100, 4) end as double) as score_100,
    cast(node_scores.is_counted as boolean)             as is_counted,
    cast(nodes.sort_order as integer)                   as sort_order,
    cast(node_scores.framework_version as varchar)      as framework_version,
    cast(node_scores.is_missing as boolean)             as is_missing
from flagged as node_scores
inner join nodes
    on nodes.framework_version = node_scores.framework_version
   and nodes.node_code = node_scores.node_code
left join units
    on units.unit_code = node_scores.unit_code
left join peer_groups
    on peer_groups.peer_group = node_scores.peer_group
order by node_scores.period, node_scores.unit_code, nodes.sort_order
