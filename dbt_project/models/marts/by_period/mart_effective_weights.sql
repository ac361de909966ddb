-- Effective weight of every indicator in the composite, per unit and period as actually scored
-- (official framework): the product of its shares in each ancestor up to the root, so NA and
-- excluded indicators (weight re-normalised onto the others) show. Weights of a unit's counted
-- indicators sum to 1 when every node is a mean (a `sum` node may keep part for empty children).
with node_scores as (
    select * from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
    where is_official
),

ancestors as (
    select * from {{ ref('int_framework_ancestors_listed') }}
),

leaves as (
    select * from node_scores where is_leaf
),

path_shares as (
    select
        leaves.unit_code,
        leaves.period,
        leaves.framework_version,
        leaves.node_code                    as indicator_code,
        any_value(leaves.share_in_parent)   as share_in_parent,
        product(ancestor_scores.share_in_parent) filter (where ancestor_scores.parent_code is not null) as ancestors_share
    from leaves
    left join ancestors
        on ancestors.framework_version = leaves.framework_version
       and ancestors.node_code = leaves.node_code
    left join node_scores as ancestor_scores
        on ancestor_scores.unit_code = leaves.unit_code
       and ancestor_scores.period = leaves.period
       and ancestor_scores.framework_version = leaves.framework_version
       and ancestor_scores.node_code = ancestors.ancestor_code
    group by leaves.unit_code, leaves.period, leaves.framework_version, leaves.node_code
)

select
    cast(unit_code as varchar)              as unit_code,
    cast(period as varchar)                 as period,
    cast(framework_version as varchar)      as framework_version,
    cast(indicator_code as varchar)         as indicator_code,
    -- rounded to 12 decimals: product() multiplies the ancestors' shares in no fixed order, and
    -- the last bits of a float product must not differ between two builds of the same data
    cast(round(share_in_parent, 12) as double) as share_in_parent,
    cast(round(share_in_parent * coalesce(ancestors_share, 1.0), 12) as double) as effective_weight
from path_shares
order by period, unit_code, indicator_code
