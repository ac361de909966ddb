{#- Levels are unrolled from the deepest possible one up to the root; `framework_max_depth`
    bounds the depth (the data test framework_depth_within_limit guards it). -#}
{%- set max_depth = var('framework_max_depth', 8) | int -%}
-- Rule 5 (aggregation up the tree; the CTEs in macros/node_aggregation.sql). For each scoring run and aggregate node, from its children
-- (indicators and lower nodes) that appear for the unit (NA indicators do not appear):
--   counted child  : has a ratio (an excluded missing indicator or an empty node has none)
--   weighted_mean  : ratio = sum(w x r) / sum(w) over counted children (weights re-normalised)
--   geometric_mean : ratio = exp(sum(w x ln r) / sum(w)) over counted children; 0 if any r = 0
--   sum            : ratio = sum(w x r) over counted / sum(w) over all appearing children
--                    (nothing re-normalised: a child with nothing counted scores 0 of its weight)
-- weight (= full marks of the node) = the node's weight, or when blank the sum of the weights
-- of its counted children (sum: of its appearing children). score = ratio x weight.
-- A node whose children are all uncounted has ratio null and is itself uncounted.
-- share_in_parent = the part of the parent's ratio this child's ratio carries (0 if uncounted).
-- Annual-only indicators (scored in Q4 runs) are not part of the quarterly tree; they enter the
-- annual roll-up (mart_unit_annual_scores).
-- Nothing is rounded: ratio and score are exact doubles. Sums go through DECIMAL(38, 18) (each
-- term rounded at 1e-18, the sum exact and independent of the order rows arrive in), so that
-- re-scoring the same returns, alone or in a full rebuild, gives the same bits.
with leaf_scores as (
    select * from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where not is_na
      and frequency is distinct from 'annual'
),

node_positions as (
    select * from {{ ref('int_framework_nodes_resolved') }}
),

aggregate_nodes as (
    select * from node_positions where not is_leaf
),

leaf_rows as (
    select
        leaf_scores.unit_code,
        leaf_scores.period,
        leaf_scores.framework_version,
        leaf_scores.is_official,
        leaf_scores.tier,
        leaf_scores.peer_group,
        leaf_scores.indicator_code          as node_code,
        leaf_scores.parent_code,
        node_positions.depth,
        true                                as is_leaf,
        leaf_scores.full_marks              as weight,
        case when leaf_scores.is_counted then leaf_scores.ratio end as ratio,
        leaf_scores.is_counted,
        leaf_scores.score                   as points,
        null::double                        as children_weight,
        null::double                        as children_counted_weight
    from leaf_scores
    inner join node_positions
        on node_positions.framework_version = leaf_scores.framework_version
       and node_positions.node_code = leaf_scores.indicator_code
),

{{ aggregate_tree(max_depth) }}

aggregates_scored as (
    select * from all_aggregates
),

all_rows as (
    select * from leaf_rows
    union all by name
    select * from aggregates_scored
),

with_share as (
    select
        all_rows.*,
        case
            when not all_rows.is_counted then 0.0
            when aggregate_nodes.aggregation = 'sum' then all_rows.weight / nullif(parents.children_weight, 0)
            else all_rows.weight / nullif(parents.children_counted_weight, 0)
        end                                 as share_in_parent
    from all_rows
    left join aggregates_scored as parents
        on parents.unit_code = all_rows.unit_code
       and parents.period = all_rows.period
       and parents.framework_version = all_rows.framework_version
       and parents.node_code = all_rows.parent_code
    left join aggregate_nodes
        on aggregate_nodes.framework_version = all_rows.framework_version
       and aggregate_nodes.node_code = all_rows.parent_code
)

select
    with_share.unit_code,
    with_share.period,
    with_share.framework_version,
    with_share.is_official,
    with_share.tier,
    with_share.peer_group,
    with_share.node_code,
    with_share.parent_code,
    node_positions.node_type,
    node_positions.dimension_code,
    node_positions.measure_code,
    with_share.depth,
    with_share.is_leaf,
    with_share.is_counted,
    with_share.ratio,
    coalesce(with_share.points, 0.0)        as score,
    with_share.weight                       as max_score,
    with_share.share_in_parent
from with_share
inner join node_positions
    on node_positions.framework_version = with_share.framework_version
   and node_positions.node_code = with_share.node_code
