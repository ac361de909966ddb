-- Optional rescaling of the composite after aggregation, as composite-indicator tools do: the
-- root node's score (aggregated from unrescaled values, e.g. unbounded z-scores) is rescaled
-- once, over the units scored in the same period under the same framework version within the
-- version's normalisation scope (peer_group, tier or all, as for the indicators), by the
-- version's scoring_params:
--   composite_rescale blank : no rescaling (default): indicator_score = composite_score
--   minmax : a + (b - a) (x - min) / (max - min), a = composite_rescale_a (default 0),
--            b = composite_rescale_b (default 100); max = min -> b (as the indicators' t = 1)
--   zscore : a + b (x - mean) / sd, a = composite_rescale_a (default 50), b = composite_rescale_b
--            (default 10); sd population or sample as zscore_sd says; sd 0 or one unit -> a
-- Units without a root score (nothing counted) are not in the statistics and stay without one.
-- Means and deviations are summed in unit_code order, so re-scoring gives the same bits.
with runs as (
    select unit_code, period, framework_version, tier, peer_group
    from {{ for_selected_periods(ref('int_scoring_runs_assigned')) }}
),

root_scores as (
    select unit_code, period, framework_version, score as composite_score
    from {{ for_selected_periods(ref('int_node_scores_aggregated')) }}
    where parent_code is null
      and not is_leaf
),

params as (
    select framework_version, normalisation_scope, zscore_sd, composite_rescale, composite_rescale_a,
           composite_rescale_b
    from {{ ref('stg_reference__scoring_params') }}
),

scoped as (
    select
        root_scores.*,
        params.composite_rescale,
        params.zscore_sd,
        coalesce(params.composite_rescale_a, case params.composite_rescale when 'zscore' then 50 else 0 end)
                                                                        as rescale_a,
        coalesce(params.composite_rescale_b, case params.composite_rescale when 'zscore' then 10 else 100 end)
                                                                        as rescale_b,
        {{ scope_key('params.normalisation_scope', 'runs.tier', 'runs.peer_group') }} as scope_key
    from root_scores
    inner join runs
        on runs.unit_code = root_scores.unit_code
       and runs.period = root_scores.period
       and runs.framework_version = root_scores.framework_version
    left join params
        on params.framework_version = root_scores.framework_version
),

scope_means as (
    select
        framework_version, period, scope_key,
        sum(composite_score order by unit_code) / count(*)              as scope_mean,
        min(composite_score)                                            as scope_min,
        max(composite_score)                                            as scope_max
    from scoped
    where composite_rescale is not null
      and composite_score is not null
    group by framework_version, period, scope_key
),

scope_statistics as (
    select
        scoped.framework_version, scoped.period, scoped.scope_key,
        any_value(scope_means.scope_mean)                               as scope_mean,
        any_value(scope_means.scope_min)                                as scope_min,
        any_value(scope_means.scope_max)                                as scope_max,
        {{ ordered_sd('scoped.composite_score', 'scope_means.scope_mean', 'scoped.unit_code', 'scoped.zscore_sd') }}
                                                                        as scope_sd
    from scoped
    inner join scope_means
        on scope_means.framework_version = scoped.framework_version
       and scope_means.period = scoped.period
       and scope_means.scope_key = scoped.scope_key
    where scoped.composite_score is not null
    group by scoped.framework_version, scoped.period, scoped.scope_key
)

select
    scoped.unit_code,
    scoped.period,
    scoped.framework_version,
    scoped.composite_score,
    case
        when scoped.composite_rescale is null or scoped.composite_score is null then scoped.composite_score
        when scoped.composite_rescale = 'minmax' then
            case when stats.scope_max = stats.scope_min then scoped.rescale_b
                 else scoped.rescale_a + (scoped.rescale_b - scoped.rescale_a)
                      * (scoped.composite_score - stats.scope_min) / (stats.scope_max - stats.scope_min) end
        when scoped.composite_rescale = 'zscore' then
            case when coalesce(stats.scope_sd, 0) = 0 then scoped.rescale_a
                 else scoped.rescale_a + scoped.rescale_b * (scoped.composite_score - stats.scope_mean) / stats.scope_sd end
    end                                                                 as indicator_score
from scoped
left join scope_statistics as stats
    on stats.framework_version = scoped.framework_version
   and stats.period = scoped.period
   and stats.scope_key = scoped.scope_key
