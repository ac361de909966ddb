-- The floor: one hand-written DuckDB query computing what the period build computes for the
-- composite, from the same raw values and the same reference tables (the staging views and the
-- resolved framework tree the reference build leaves in the warehouse). It is what the scoring
-- would cost with nothing but the arithmetic: no versions of values, no ledger, no marts, no tests.
-- It covers what the synthetic data exercises (benchmarks/synthetic.py): every value present, no
-- NA, no bonus or deduction, the methods of the demo framework (target, efficacy, percentile,
-- rank, binary, scale), peers = the peer group, weighted_mean / sum nodes of a tree at most four
-- levels deep (part > dimension > measure > indicator), totals ranked exactly within the peer
-- group. Sums are in doubles (the models sum through DECIMAL(38, 18)): totals may differ in the
-- last bits, hence the tolerance of the check (benchmarks/run.py).
create or replace temp table floor_scores as
with accepted_values as (
    select v.unit_code, v.period, v.indicator_code, v.value
    from raw.return_values v
    join raw.return_files f on f.sha256 = v.sha256 and f.status = 'accepted'
),

runs as (
    select u.unit_code, u.tier, u.peer_group, q.period, fv.framework_version
    from staging.stg_reference__units u
    cross join (select distinct period from accepted_values) q
    join staging.stg_reference__framework_versions fv
      on q.period >= fv.first_period and (fv.last_period is null or q.period <= fv.last_period)
),

targets as (
    select fi.framework_version, pg.peer_group, t.tier, t.indicator_code,
           arg_max(t.target, (t.framework_version is not null)::int * 2 + (t.peer_group is not null)::int) as target
    from staging.stg_reference__indicator_targets t
    join staging.stg_reference__framework_indicators fi
      on fi.indicator_code = t.indicator_code
     and coalesce(t.framework_version, fi.framework_version) = fi.framework_version
    join staging.stg_reference__peer_groups pg
      on pg.tier = t.tier and coalesce(t.peer_group, pg.peer_group) = pg.peer_group
    group by all
),

leaves as (
    select r.unit_code, r.period, r.framework_version, r.peer_group, fi.indicator_code, fi.parent_code,
           fi.weight, fi.method, fi.param_a, fi.param_b, fi.direction, t.target, x.value,
           case when fi.direction = 'lower' then -x.value else x.value end as goodness
    from runs r
    join staging.stg_reference__framework_indicators fi
      on fi.framework_version = r.framework_version and fi.kind = 'scored' and fi.frequency <> 'annual'
    join staging.stg_reference__indicator_tiers it
      on it.framework_version = fi.framework_version and it.indicator_code = fi.indicator_code
     and it.tier = r.tier
    left join targets t
      on t.framework_version = r.framework_version and t.peer_group = r.peer_group
     and t.tier = r.tier and t.indicator_code = fi.indicator_code
    join accepted_values x
      on x.unit_code = r.unit_code and x.period = r.period and x.indicator_code = fi.indicator_code
),

peers as (
    select *,
           min(value) over w as lo, max(value) over w as hi, count(*) over w as n,
           rank() over (w order by goodness desc) as rank_best,
           rank() over (w order by goodness asc) as rank_worst,
           case when direction = 'lower' then (case when value <= target then 1.0 else target / value end)
                when target > 0 then least(1.0, value / target) when target = 0 then 1.0 end as attainment
    from leaves
    window w as (partition by framework_version, period, indicator_code, peer_group)
),

ratios as (
    select unit_code, period, framework_version, peer_group, parent_code, weight,
           greatest(0.0, least(1.0, case method
               when 'target' then case when param_a is not null and attainment < param_a then 0.0 else attainment end
               when 'efficacy' then (60.0 + 40.0 * case when hi = lo then 1.0
                   when direction = 'lower' then (hi - value) / (hi - lo) else (value - lo) / (hi - lo) end) / 100.0
               when 'percentile' then case when n = 1 then 1.0 else (rank_worst - 1)::double / (n - 1) end
               when 'rank' then 1.0 - param_a * (rank_best - 1)
               when 'binary' then case when direction = 'lower' then (value = 0)::int else (value >= 1)::int end
               when 'scale' then (case when direction = 'lower' then coalesce(param_b, 100.0) - value
                                       else value - coalesce(param_a, 0.0) end)
                                 / (coalesce(param_b, 100.0) - coalesce(param_a, 0.0))
           end)) as ratio
    from peers
),

tree as (
    select framework_version, node_code, parent_code, weight, depth
    from intermediate.int_framework_nodes_resolved where not is_leaf
),

level_3 as (
    select c.unit_code, c.period, c.framework_version, c.peer_group, n.parent_code,
           coalesce(any_value(n.weight), sum(c.weight)) as weight, sum(c.weight * c.ratio) / sum(c.weight) as ratio
    from ratios c join tree n on n.framework_version = c.framework_version and n.node_code = c.parent_code and n.depth = 3
    group by c.unit_code, c.period, c.framework_version, c.peer_group, n.node_code, n.parent_code
),

level_2 as (
    select c.unit_code, c.period, c.framework_version, c.peer_group, n.parent_code,
           coalesce(any_value(n.weight), sum(c.weight)) as weight, sum(c.weight * c.ratio) / sum(c.weight) as ratio
    from (select * from level_3 union all select * from ratios) c
    join tree n on n.framework_version = c.framework_version and n.node_code = c.parent_code and n.depth = 2
    group by c.unit_code, c.period, c.framework_version, c.peer_group, n.node_code, n.parent_code
),

level_1 as (
    select c.unit_code, c.period, c.framework_version, c.peer_group, n.parent_code,
           coalesce(any_value(n.weight), sum(c.weight)) as weight, sum(c.weight * c.ratio) / sum(c.weight) as ratio
    from (select * from level_2 union all select * from ratios) c
    join tree n on n.framework_version = c.framework_version and n.node_code = c.parent_code and n.depth = 1
    group by c.unit_code, c.period, c.framework_version, c.peer_group, n.node_code, n.parent_code
),

level_0 as (
    select c.unit_code, c.period, c.framework_version, c.peer_group,
           coalesce(any_value(n.weight), sum(c.weight)) * sum(c.weight * c.ratio) / sum(c.weight) as score
    from (select * from level_1 union all select * from ratios) c
    join tree n on n.framework_version = c.framework_version and n.node_code = c.parent_code and n.depth = 0
    group by c.unit_code, c.period, c.framework_version, c.peer_group, n.node_code
)

select l.unit_code, l.period, l.peer_group,
       greatest(coalesce(p.score_floor, '-infinity'::double), l.score) as total_score,
       rank() over (partition by l.framework_version, l.period, l.peer_group order by
                    greatest(coalesce(p.score_floor, '-infinity'::double), l.score) desc) as rank_in_group
from level_0 l
left join staging.stg_reference__scoring_params p on p.framework_version = l.framework_version;
