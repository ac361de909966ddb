-- 红黑榜: per peer group and period (official framework), the top N (红榜), the bottom N (黑榜) and
-- the N biggest movers up and down in score since the last quarter. N = scoring_params.list_size
-- of the period's framework version.
with rankings as (
    select * from {{ for_selected_periods(ref('int_unit_scores_compared')) }}
    where is_official
      and is_rankable  -- a unit not ranked (数据不全) is on no list
),

params as (
    select framework_version, list_size from {{ ref('stg_reference__scoring_params') }}
),

placed as (
    select
        rankings.*,
        rank() over (partition by peer_group, period order by rank_score asc)                as rank_from_bottom,
        rank() over (partition by peer_group, period order by score_change_qoq desc nulls last) as rise_rank,
        rank() over (partition by peer_group, period order by score_change_qoq asc nulls last)  as fall_rank
    from rankings
),

listed as (
    select placed.*, 'red' as list, '红榜' as list_zh, placed.rank_in_group as list_rank
    from placed inner join params using (framework_version) where placed.rank_in_group <= params.list_size
    union all
    select placed.*, 'black', '黑榜', placed.rank_from_bottom
    from placed inner join params using (framework_version) where placed.rank_from_bottom <= params.list_size
    union all
    select placed.*, 'riser', '进步最快', placed.rise_rank
    from placed inner join params using (framework_version)
    where placed.rise_rank <= params.list_size and placed.score_change_qoq > 0
    union all
    select placed.*, 'faller', '退步最多', placed.fall_rank
    from placed inner join params using (framework_version)
    where placed.fall_rank <= params.list_size and placed.score_change_qoq < 0
)

select
    cast(listed.peer_group as varchar)          as peer_group,
    cast(listed.period as varchar)              as period,
    cast(listed.list as varchar)                as list,
    cast(listed.list_zh as varchar)             as list_zh,
    cast(listed.list_rank as bigint)            as list_rank,
    cast(listed.unit_code as varchar)           as unit_code,
    cast(units.unit_name as varchar)            as unit_name,
    cast(listed.total_score as double)          as total_score,
    cast(listed.rank_in_group as bigint)        as rank_in_group,
    cast(listed.group_size as bigint)           as group_size,
    cast(listed.score_change_qoq as double)     as score_change_qoq,
    cast(listed.rank_change_qoq as bigint)      as rank_change_qoq
from listed
inner join {{ ref('stg_reference__units') }} as units
    on units.unit_code = listed.unit_code
order by listed.period, listed.peer_group, listed.list, listed.list_rank, listed.unit_code
