{{ config(meta={'dagster': {'ref': {'name': 'mart_unit_rankings'}}}) }}
-- The published dimension scores of a unit and period add up to its published indicator_score
-- (both are rounded to 4 decimals upstream, so the sum matches to within rounding noise), where
-- the framework's root adds up points (aggregation `sum`) and its children are the dimensions.
with dimension_totals as (
    select unit_code, period, sum(score) as dimension_score_sum
    from {{ ref('fct_dimension_scores') }}
    group by unit_code, period
)

select
    rankings.unit_code,
    rankings.period,
    rankings.indicator_score,
    dimension_totals.dimension_score_sum
from {{ ref('mart_unit_rankings') }} as rankings
left join dimension_totals
    on dimension_totals.unit_code = rankings.unit_code
   and dimension_totals.period = rankings.period
inner join {{ ref('int_framework_nodes_resolved') }} as roots
    on roots.framework_version = rankings.framework_version
   and roots.parent_code is null
   and not roots.is_leaf
   and roots.aggregation = 'sum'
where not exists (
        select 1 from {{ ref('int_framework_nodes_resolved') }} as children
        where children.framework_version = roots.framework_version
          and children.parent_code = roots.node_code
          and children.node_type <> 'dimension')
  and abs(rankings.indicator_score - coalesce(dimension_totals.dimension_score_sum, 0)) > 0.0005
