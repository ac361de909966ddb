{{ config(meta={'dagster': {'ref': {'name': 'fct_dimension_scores'}}}) }}
-- The published dimension scores of a unit and period add up to the score of the node they hang
-- under, on the dimensions' own scale: sum(dimension score) = parent ratio x sum(dimension weight)
-- (the root's score itself when the root adds up the dimensions' points, the `indicators` part on
-- its 100-point scale when the root weighs evaluation parts). Checked where every dimension is
-- counted and the parent is a sum or weighted mean; scores are rounded to 4 decimals upstream.
with official as (
    select * from {{ ref('fct_node_scores') }}
    where is_official
),

dimension_totals as (
    select
        unit_code,
        period,
        parent_code,
        sum(score)          as dimension_score_sum,
        sum(max_score)      as dimension_max_sum,
        bool_and(is_counted) as all_counted
    from official
    where node_type = 'dimension'
    group by unit_code, period, parent_code
)

select
    dimension_totals.*,
    parents.ratio * dimension_totals.dimension_max_sum as expected_sum
from dimension_totals
inner join official as parents
    on parents.unit_code = dimension_totals.unit_code
   and parents.period = dimension_totals.period
   and parents.node_code = dimension_totals.parent_code
inner join {{ ref('int_framework_nodes_resolved') }} as nodes
    on nodes.framework_version = parents.framework_version
   and nodes.node_code = parents.node_code
where dimension_totals.all_counted
  and nodes.aggregation in ('sum', 'weighted_mean')
  and abs(dimension_totals.dimension_score_sum - parents.ratio * dimension_totals.dimension_max_sum) > 0.0005
