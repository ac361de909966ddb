{{ config(materialized='table', schema='intermediate', tags=['uncertainty']) }}
{%- set max_depth = var('framework_max_depth', 8) -%}
-- Rank uncertainty (issue 18). The analysed period's official scoring run, re-scored once per
-- replication (source uncertainty.replicates) by the production tree aggregation:
--   weights : every leaf's and aggregate node's weight times its sampled factor, re-normalised
--             among siblings (sum of the siblings' weights unchanged); factor 1 = as published
--   missing : with missing_policy_switched, a missing value scored `zero` becomes `exclude` (not
--             counted, its weight re-normalised) and an `exclude` one becomes `zero` (ratio 0)
-- Leaf ratios are production's (int_node_scores_aggregated). total = the production total with
-- the re-scored root instead of the production root (bonus and deduction unchanged); ranks
-- follow rule 9 (rank() within the peer group, rankable units only, exact totals).
with replicates as (
    select * from {{ source('uncertainty', 'replicates') }}
),

factors as (
    select * from {{ source('uncertainty', 'replicate_weights') }}
),

production_nodes as (
    select node_scores.*
    from {{ ref('int_node_scores_aggregated') }} as node_scores
    inner join (select distinct period, framework_version from replicates) as analysed
        on analysed.period = node_scores.period
       and analysed.framework_version = node_scores.framework_version
),

indicator_states as (
    select unit_code, period, framework_version, indicator_code, is_missing, missing_policy
    from {{ ref('int_indicator_scores_computed') }}
    where period in (select period from replicates)
),

node_positions as (
    select * from {{ ref('int_framework_nodes_resolved') }}
),

sibling_weights as (
    select
        replicates.replicate,
        node_positions.framework_version,
        node_positions.node_code,
        node_positions.parent_code,
        node_positions.depth,
        node_positions.is_leaf,
        node_positions.aggregation,
        node_positions.weight,
        node_positions.weight * coalesce(factors.weight_factor, 1.0) as drawn_weight
    from node_positions
    inner join (select distinct replicate, framework_version from replicates) as replicates
        on replicates.framework_version = node_positions.framework_version
    left join factors
        on factors.replicate = replicates.replicate
       and factors.node_code = node_positions.node_code
),

replicate_weights as (
    select
        *,
        -- re-normalised: siblings keep their total; 1.0 exactly when every factor is 1
        coalesce(sum(weight) over siblings / nullif(sum(drawn_weight) over siblings, 0), 1.0) as scale
    from sibling_weights
    window siblings as (partition by replicate, framework_version, parent_code)
),

aggregate_nodes as (
    select replicate, framework_version, node_code, parent_code, depth, aggregation,
           drawn_weight * scale as weight
    from replicate_weights
    where not is_leaf
),

leaf_rows as (
    select
        replicate_weights.replicate,
        leaves.unit_code,
        leaves.period,
        leaves.framework_version,
        leaves.is_official,
        leaves.tier,
        leaves.peer_group,
        leaves.node_code,
        leaves.parent_code,
        leaves.depth,
        true                                as is_leaf,
        leaves.max_score * coalesce(replicate_weights.drawn_weight / nullif(replicate_weights.weight, 0), 1.0)
                         * replicate_weights.scale as weight,
        case when switched.is_counted then switched.ratio end as ratio,
        switched.is_counted,
        null::double                        as points,
        null::double                        as children_weight,
        null::double                        as children_counted_weight
    from production_nodes as leaves
    inner join replicates
        on replicates.period = leaves.period
       and replicates.framework_version = leaves.framework_version
    inner join replicate_weights
        on replicate_weights.replicate = replicates.replicate
       and replicate_weights.framework_version = leaves.framework_version
       and replicate_weights.node_code = leaves.node_code
    left join indicator_states
        on indicator_states.unit_code = leaves.unit_code
       and indicator_states.period = leaves.period
       and indicator_states.framework_version = leaves.framework_version
       and indicator_states.indicator_code = leaves.node_code
    cross join lateral (
        select
            case when replicates.missing_policy_switched and indicator_states.is_missing
                      and indicator_states.missing_policy = 'zero' then false
                 when replicates.missing_policy_switched and indicator_states.is_missing
                      and indicator_states.missing_policy = 'exclude' then true
                 else leaves.is_counted end as is_counted,
            case when replicates.missing_policy_switched and indicator_states.is_missing
                      and indicator_states.missing_policy = 'exclude' then 0.0
                 else leaves.ratio end as ratio
    ) as switched
    where leaves.is_leaf
),

{{ aggregate_tree(max_depth, replicate=true) }}

replicate_roots as (
    select replicate, unit_code, period, framework_version, points as root_score
    from all_aggregates
    where parent_code is null
),

production_roots as (
    select unit_code, period, framework_version, score as root_score
    from production_nodes
    where parent_code is null and not is_leaf
),

production_totals as (
    select * from {{ ref('int_unit_scores_ranked') }}
    where is_rankable and total_score_exact is not null
      and period in (select period from replicates)
),

replicate_totals as (
    select
        replicates.replicate,
        production_totals.unit_code,
        production_totals.period,
        production_totals.framework_version,
        production_totals.peer_group,
        production_totals.rank_in_group     as production_rank,
        production_totals.group_size,
        case when replicate_roots.root_score is not distinct from production_roots.root_score
             then production_totals.total_score_exact
             else production_totals.total_score_exact - coalesce(production_roots.root_score, 0.0)
                  + coalesce(replicate_roots.root_score, 0.0) end as total_score
    from production_totals
    inner join replicates
        on replicates.period = production_totals.period
       and replicates.framework_version = production_totals.framework_version
    left join production_roots
        on production_roots.unit_code = production_totals.unit_code
       and production_roots.period = production_totals.period
       and production_roots.framework_version = production_totals.framework_version
    left join replicate_roots
        on replicate_roots.replicate = replicates.replicate
       and replicate_roots.unit_code = production_totals.unit_code
       and replicate_roots.period = production_totals.period
       and replicate_roots.framework_version = production_totals.framework_version
)

select
    *,
    rank() over (partition by replicate, peer_group order by total_score desc) as rank_in_group
from replicate_totals
