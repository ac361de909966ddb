-- Rule 4 (scoring methods) and rule 11 (indicator light). ratio in [0, 1] (a z-score: unbounded);
-- score = full_marks x ratio, unrounded (displays round it: fct_indicator_scores.score).
-- Peers = the units an indicator is normalised against: same framework version, period and
-- indicator, with a (non-NA) value, within the normalisation scope: the indicator's
-- normalisation_scope, else the version's scoring_params.normalisation_scope, else peer_group:
--   peer_group : the unit's peer group (考核分类组, where it is also ranked);
--   tier       : every unit of its tier (e.g. all counties, ranked afterwards within classes);
--   all        : every unit scored in the period under the version.
-- The scope only decides who is compared here; totals are always ranked within the peer group.
-- t = position of x between the peer min and max (from the max when lower is better; max = min -> 1).
--   target     : attainment = least(1, x / target) (higher; target 0 -> 1) or 1 if x <= target
--                else target / x (lower); below the floor param_a -> 0
--   efficacy   : 功效系数法 (60 + 40 t) / 100
--   minmax     : (a + (b - a) t) / 100 with a = param_a (default 0), b = param_b (default 100)
--   zscore     : z = (x - peer mean) / peer sd, unbounded (mean 0, sd 1 over the peers; sign
--                flipped when lower is better; sd 0 or a single peer -> 0); sd = population
--                (divide by n) or sample (n - 1) as scoring_params.zscore_sd says (default
--                population). The ratio is z itself: score = full_marks x z, aggregated as is.
--   zscore_clamped : (param_a + param_b z) / 100 (defaults 50 and 10), clamped to [0, 1]
--   percentile : share of the other peers the unit beats or ties from below: (r - 1) / (n - 1)
--                with r the ascending competition rank by goodness; a single peer -> 1
--   rank       : 排名赋分 1 - param_a x (rank - 1), rank() best first (ties share), at least 0
--   binary     : higher: x >= 1; lower: x = 0
--   distance   : 1 - |x - target| / |target|, at least 0 (target 0: 1 iff x = 0)
--   scale      : absolute scale (x - a) / (b - a), (b - x) / (b - a) when lower is better, with
--                a = param_a (default 0), b = param_b (default 100), clamped to [0, 1]: an
--                evaluation score of 0-100 (满意度, 领导评价) counts as its share of full marks
-- Peer means and deviations are summed in unit_code order, so re-scoring gives the same bits.
-- Missing values: policy zero -> score 0 (counted); policy exclude -> not counted (score null,
-- the parent re-normalises). NA indicators: ratio / score / max_score / light null, not counted.
with grid as (
    select * from {{ for_selected_periods(ref('int_scoring_grid_assembled')) }}
),

params as (
    select * from {{ ref('stg_reference__scoring_params') }}
),

grid_scoped as (
    select
        grid.*,
        params.zscore_sd,
        coalesce(grid.normalisation_scope, params.normalisation_scope, 'peer_group') as scope,
        {{ scope_key('coalesce(grid.normalisation_scope, params.normalisation_scope)', 'grid.tier',
                     'grid.peer_group') }}                               as scope_key
    from grid
    left join params
        on params.framework_version = grid.framework_version
),

grid_flagged as (
    select
        *,
        (raw_value is not null and not is_na)                           as has_value,
        case when direction = 'lower' then -raw_value else raw_value end as goodness
    from grid_scoped
),

scope_means as (
    select
        framework_version, period, indicator_code, scope_key,
        sum(goodness order by unit_code) / count(*)                     as peer_mean_goodness
    from grid_flagged
    where has_value
    group by framework_version, period, indicator_code, scope_key
),

scope_deviations as (
    select
        grid_flagged.framework_version, grid_flagged.period, grid_flagged.indicator_code, grid_flagged.scope_key,
        any_value(scope_means.peer_mean_goodness)                       as peer_mean_goodness,
        {{ ordered_sd('grid_flagged.goodness', 'scope_means.peer_mean_goodness', 'grid_flagged.unit_code',
                      'grid_flagged.zscore_sd') }}                       as peer_sd_goodness
    from grid_flagged
    inner join scope_means
        on scope_means.framework_version = grid_flagged.framework_version
       and scope_means.period = grid_flagged.period
       and scope_means.indicator_code = grid_flagged.indicator_code
       and scope_means.scope_key = grid_flagged.scope_key
    where grid_flagged.has_value
    group by grid_flagged.framework_version, grid_flagged.period, grid_flagged.indicator_code, grid_flagged.scope_key
),

peer_statistics as (
    select
        grid_flagged.*,
        scope_deviations.peer_mean_goodness,
        scope_deviations.peer_sd_goodness,
        min(grid_flagged.raw_value) over peers          as peer_min,
        max(grid_flagged.raw_value) over peers          as peer_max,
        count(*) over peers                             as peer_count,
        rank() over (peers order by grid_flagged.goodness desc)  as peer_rank,
        rank() over (peers order by grid_flagged.goodness asc)   as peer_rank_ascending
    from grid_flagged
    left join scope_deviations
        on grid_flagged.has_value
       and scope_deviations.framework_version = grid_flagged.framework_version
       and scope_deviations.period = grid_flagged.period
       and scope_deviations.indicator_code = grid_flagged.indicator_code
       and scope_deviations.scope_key = grid_flagged.scope_key
    window peers as (partition by grid_flagged.framework_version, grid_flagged.period,
                     grid_flagged.indicator_code, grid_flagged.scope_key, grid_flagged.has_value)
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
        end as attainment_ratio,
        case
            when peer_max = peer_min then 1.0
            when direction = 'lower' then (peer_max - raw_value) / (peer_max - peer_min)
            else (raw_value - peer_min) / (peer_max - peer_min)
        end as peer_position,
        case when coalesce(peer_sd_goodness, 0) = 0 then 0.0
             else (goodness - peer_mean_goodness) / peer_sd_goodness end as z
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
                (60.0 + 40.0 * peer_position) / 100.0
            when scoring_method = 'minmax' then
                (coalesce(param_a, 0.0) + (coalesce(param_b, 100.0) - coalesce(param_a, 0.0)) * peer_position) / 100.0
            when scoring_method = 'zscore' then z
            when scoring_method = 'zscore_clamped' then
                (coalesce(param_a, 50.0) + coalesce(param_b, 10.0) * z) / 100.0
            when scoring_method = 'percentile' then
                case when peer_count = 1 then 1.0
                     else (peer_rank_ascending - 1)::double / (peer_count - 1) end
            when scoring_method = 'rank' then
                1.0 - param_a * (peer_rank - 1)
            when scoring_method = 'binary' then
                case when direction = 'lower' then (case when raw_value = 0 then 1.0 else 0.0 end)
                     else (case when raw_value >= 1 then 1.0 else 0.0 end) end
            when scoring_method = 'distance' then
                case when target = 0 then (case when raw_value = 0 then 1.0 else 0.0 end)
                     else 1.0 - abs(raw_value - target) / abs(target) end
            when scoring_method = 'scale' then
                (case when direction = 'lower' then coalesce(param_b, 100.0) - raw_value
                      else raw_value - coalesce(param_a, 0.0) end)
                / nullif(coalesce(param_b, 100.0) - coalesce(param_a, 0.0), 0)
        end as unclamped_ratio
    from target_attainment
),

counted as (
    select
        *,
        not is_na and not (is_missing and coalesce(missing_policy, 'zero') = 'exclude') as is_counted
    from method_ratio
),

scored as (
    select
        *,
        case when has_value and scoring_method = 'zscore' then unclamped_ratio
             when has_value then greatest(0.0, least(1.0, unclamped_ratio))
             when is_counted then 0.0 end                               as ratio
    from counted
),

scored_points as (
    select
        *,
        case when is_counted then full_marks * ratio end                as score,
        case when is_counted then full_marks end                        as max_score
    from scored
),

lit as (
    select
        scored_points.*,
        case
            when scored_points.is_na then null
            when scored_points.is_missing then 'red'
            when scored_points.target is not null then
                case when scored_points.attainment_ratio >= 1 then 'green'
                     when scored_points.attainment_ratio >= params.light_yellow_ratio then 'yellow'
                     else 'red' end
            else
                case when scored_points.score / nullif(scored_points.max_score, 0) >= params.light_green_score_ratio then 'green'
                     when scored_points.score / nullif(scored_points.max_score, 0) >= params.light_yellow_score_ratio then 'yellow'
                     else 'red' end
        end as light
    from scored_points
    left join params
        on params.framework_version = scored_points.framework_version
)

select
    unit_code,
    period,
    framework_version,
    is_official,
    tier,
    peer_group,
    indicator_code,
    parent_code,
    measure_code,
    dimension_code,
    scoring_method,
    direction,
    missing_policy,
    frequency,
    full_marks,
    target,
    raw_value,
    is_na,
    is_missing,
    is_counted,
    attainment_ratio,
    ratio,
    score,
    max_score,
    peer_rank,
    peer_count,
    scope                               as normalisation_scope,
    light
from lit
