-- Rule 4 (scoring methods) and rule 11 (indicator light). score = full_marks x ratio.
--   target   : attainment = least(1, x / target) (higher; target = 0 -> 1) or
--              1 if x <= target else target / x (lower); below the floor param_a -> 0
--   efficacy : 功效系数法 (60 + 40 r) / 100, r = position of x between the peer min and max
--              (lower is better: from the max); max = min -> r = 1
--   rank     : 排名赋分 1 - param_a x (rank - 1), rank() among peers with a value, at least 0
--   binary   : higher: x >= 1; lower: x = 0
-- Peers = same peer_group, period and indicator, units with a (non-NA) value only.
-- NA indicators get null score / max_score / light; missing ones score 0 and are red.
with grid as (
    select * from {{ ref('int_scoring_grid_assembled') }}
),

params as (
    select * from {{ ref('stg_reference__scoring_params') }}
),

grid_flagged as (
    select
        *,
        (raw_value is not null and not is_na) as has_value
    from grid
),

peer_statistics as (
    select
        *,
        min(raw_value) over peers as peer_min,
        max(raw_value) over peers as peer_max,
        rank() over (
            partition by peer_group, period, indicator_code, has_value
            order by case when direction = 'lower' then raw_value else -raw_value end
        )                          as peer_rank
    from grid_flagged
    window peers as (partition by peer_group, period, indicator_code, has_value)
),

target_attainment as (
    select
        *,
        case
            when not has_value or target is null then null
            when direction = 'lower' then
                case when raw_value <= target then 1.0 else target / raw_value end
            else
                case when target > 0 then least(1.0, raw_value / target)
                     when target = 0 then 1.0 end
        end as attainment_ratio
    from peer_statistics
),

method_ratio as (
    select
        *,
        case
            when not has_value then null
            when scoring_method = 'target' then
                case when param_a is not null and attainment_ratio < param_a then 0.0
                     else attainment_ratio end
            when scoring_method = 'efficacy' then
                (60.0 + 40.0 * case
                    when peer_max = peer_min then 1.0
                    when direction = 'lower' then (peer_max - raw_value) / (peer_max - peer_min)
                    else (raw_value - peer_min) / (peer_max - peer_min)
                end) / 100.0
            when scoring_method = 'rank' then
                greatest(0.0, 1.0 - param_a * (peer_rank - 1))
            when scoring_method = 'binary' then
                case when direction = 'lower' then (case when raw_value = 0 then 1.0 else 0.0 end)
                     else (case when raw_value >= 1 then 1.0 else 0.0 end) end
        end as unclamped_ratio
    from target_attainment
),

scored as (
    select
        *,
        greatest(0.0, least(1.0, unclamped_ratio))                   as ratio,
        case when is_na then null
             when not has_value then 0.0
             else round(full_marks * greatest(0.0, least(1.0, unclamped_ratio)), 4)
        end                                                          as score,
        case when is_na then null else full_marks end                as max_score
    from method_ratio
),

lit as (
    select
        scored.*,
        case
            when scored.is_na then null
            when scored.is_missing then 'red'
            when scored.target is not null then
                case when scored.attainment_ratio >= 1 then 'green'
                     when scored.attainment_ratio >= params.light_yellow_ratio then 'yellow'
                     else 'red' end
            else
                case when scored.score / nullif(scored.max_score, 0) >= params.light_green_score_ratio then 'green'
                     when scored.score / nullif(scored.max_score, 0) >= params.light_yellow_score_ratio then 'yellow'
                     else 'red' end
        end as light
    from scored
    cross join params
)

select
    unit_code,
    period,
    tier,
    peer_group,
    indicator_code,
    measure_code,
    dimension_code,
    scoring_method,
    direction,
    full_marks,
    target,
    raw_value,
    is_na,
    is_missing,
    attainment_ratio,
    ratio,
    score,
    max_score,
    light
from lit
