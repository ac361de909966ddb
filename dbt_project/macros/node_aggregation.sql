{#- Rule 5 (aggregation up the tree), the one implementation: the CTEs that score every aggregate
    node from its children, level by level from the deepest possible one (`max_depth`) up to the
    root, ending in `all_aggregates`. The calling model defines two CTEs before it:
      leaf_rows       : the scored leaves (unit_code, period, framework_version, is_official, tier,
                        peer_group, node_code, parent_code, depth, is_leaf, weight, ratio,
                        is_counted, points, children_weight, children_counted_weight)
      aggregate_nodes : the tree's aggregate nodes (framework_version, node_code, parent_code,
                        depth, weight, aggregation)
    With `replicate` both carry a `replicate` column too (rank uncertainty, issue 18: the same
    scoring under other weights or missing policies), and every node is scored per replicate.
    The rule itself is described in int_node_scores_aggregated.sql. -#}
{% macro aggregate_tree(max_depth, replicate=false) -%}
{% for depth in range(max_depth, -1, -1) %}
children_of_depth_{{ depth }} as (
    select * from leaf_rows where depth = {{ depth + 1 }}
    {% if depth < max_depth %}
    union all
    select * from nodes_of_depth_{{ depth + 1 }}
    {% endif %}
),

nodes_of_depth_{{ depth }}_unscored as (
    select
        {%- if replicate %}
        children.replicate,
        {%- endif %}
        children.unit_code,
        children.period,
        children.framework_version,
        any_value(children.is_official)     as is_official,
        any_value(children.tier)            as tier,
        any_value(children.peer_group)      as peer_group,
        aggregate_nodes.node_code,
        aggregate_nodes.parent_code,
        aggregate_nodes.depth,
        false                               as is_leaf,
        coalesce(aggregate_nodes.weight,
                 case when aggregate_nodes.aggregation = 'sum'
                      then sum(children.weight::decimal(38, 18))::double
                      else sum(children.weight::decimal(38, 18)) filter (where children.is_counted)::double end
        )                                   as weight,
        case aggregate_nodes.aggregation
            when 'sum' then
                sum((children.weight * children.ratio)::decimal(38, 18)) filter (where children.is_counted)::double
                / nullif(sum(children.weight::decimal(38, 18))::double, 0)
            when 'geometric_mean' then
                case when min(children.ratio) filter (where children.is_counted) = 0 then 0.0
                     else exp(sum((children.weight * ln(case when children.ratio > 0 then children.ratio end))::decimal(38, 18)) filter (where children.is_counted)::double
                              / nullif(sum(children.weight::decimal(38, 18)) filter (where children.is_counted)::double, 0)) end
            else
                sum((children.weight * children.ratio)::decimal(38, 18)) filter (where children.is_counted)::double
                / nullif(sum(children.weight::decimal(38, 18)) filter (where children.is_counted)::double, 0)
        end                                 as ratio,
        null::boolean                       as is_counted,
        null::double                        as points,
        sum(children.weight::decimal(38, 18))::double                                           as children_weight,
        sum(children.weight::decimal(38, 18)) filter (where children.is_counted)::double        as children_counted_weight
    from children_of_depth_{{ depth }} as children
    inner join aggregate_nodes
        on aggregate_nodes.framework_version = children.framework_version
       and aggregate_nodes.node_code = children.parent_code
       and aggregate_nodes.depth = {{ depth }}
       {%- if replicate %}
       and aggregate_nodes.replicate = children.replicate
       {%- endif %}
    group by {% if replicate %}children.replicate, {% endif %}children.unit_code, children.period, children.framework_version,
             aggregate_nodes.node_code, aggregate_nodes.parent_code, aggregate_nodes.depth,
             aggregate_nodes.weight, aggregate_nodes.aggregation
),

nodes_of_depth_{{ depth }} as (
    select
        * replace (ratio is not null as is_counted, ratio * weight as points)
    from nodes_of_depth_{{ depth }}_unscored
),

{% endfor %}
all_aggregates as (
    {% for depth in range(0, max_depth + 1) %}
    select * from nodes_of_depth_{{ depth }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
{%- endmacro %}
