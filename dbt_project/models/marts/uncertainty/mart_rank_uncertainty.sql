{{ config(tags=['uncertainty']) }}
-- Rank uncertainty (issue 18), after COINr's get_sensitivity: per unit of the analysed period's
-- official scoring run, over the replications of int_unit_ranks_replicated: the median rank and
-- the 5th-95th percentile interval (quantile_cont: linear interpolation, R's type 7 as COINr's
-- quantile()), and the probability of being in the top / bottom N of the group (N = the version's
-- list_size, as 红黑榜; bottom N = rank > group size - N). Adjacent units (by production rank)
-- whose intervals overlap are marked not significantly different (差异不显著). Replaced whole by
-- each analysis.
with replicated as (
    select * from {{ ref('int_unit_ranks_replicated') }}
),

params as (
    select framework_version, list_size from {{ ref('stg_reference__scoring_params') }}
),

summarised as (
    select
        replicated.period,
        replicated.framework_version,
        replicated.peer_group,
        replicated.unit_code,
        any_value(replicated.production_rank)                          as production_rank,
        any_value(replicated.group_size)                               as group_size,
        count(*)                                                       as replications,
        quantile_cont(replicated.rank_in_group, 0.5)                   as median_rank,
        quantile_cont(replicated.rank_in_group, 0.05)                  as rank_p05,
        quantile_cont(replicated.rank_in_group, 0.95)                  as rank_p95,
        avg((replicated.rank_in_group <= params.list_size)::integer)   as p_top_n,
        avg((replicated.rank_in_group > replicated.group_size - params.list_size)::integer) as p_bottom_n,
        any_value(params.list_size)                                    as list_size
    from replicated
    left join params using (framework_version)
    group by replicated.period, replicated.framework_version, replicated.peer_group, replicated.unit_code
),

neighbours as (
    select
        *,
        lag(rank_p95) over ordered  as previous_p95,
        lag(rank_p05) over ordered  as previous_p05,
        lead(rank_p05) over ordered as next_p05,
        lead(rank_p95) over ordered as next_p95
    from summarised
    window ordered as (partition by period, framework_version, peer_group order by production_rank, unit_code)
)

select
    cast(period as varchar)                 as period,
    cast(framework_version as varchar)      as framework_version,
    cast(peer_group as varchar)             as peer_group,
    cast(unit_code as varchar)              as unit_code,
    cast(production_rank as integer)        as production_rank,
    cast(group_size as integer)             as group_size,
    cast(replications as integer)           as replications,
    cast(median_rank as double)             as median_rank,
    cast(rank_p05 as double)                as rank_p05,
    cast(rank_p95 as double)                as rank_p95,
    cast(list_size as integer)              as list_size,
    cast(p_top_n as double)                 as p_top_n,
    cast(p_bottom_n as double)              as p_bottom_n,
    coalesce(previous_p95 >= rank_p05 and previous_p05 <= rank_p95, false) as overlaps_previous,
    coalesce(next_p05 <= rank_p95 and next_p95 >= rank_p05, false)         as overlaps_next
from neighbours
order by period, framework_version, peer_group, production_rank, unit_code
