-- Statistical audit (issue 18), after COINr (get_stats, check_SkewKurt, get_cronbach, get_PCA),
-- per scoring run's period, framework version and tier, one row per quarterly indicator and one
-- per dimension:
--   coverage      : present cells / applicable cells (an NA indicator is not applicable)
--   skewness      : sample skewness G1 = n/((n-1)(n-2)) x sum(((x-mean)/s)^3), s the sample sd
--                   (COINr's skew, = Excel SKEW, = DuckDB skewness), of the raw values present
--                   (indicator) or of the dimension's ratio (dimension)
--   kurtosis      : sample excess kurtosis G2 (COINr's kurt, = Excel KURT, = DuckDB kurtosis)
--   outlier flag  : |skewness| > 2 and kurtosis > 3.5 (COINr's check_SkewKurt)
--   cronbach_alpha: k/(k-1) x (1 - sum var(x_i) / var(sum x_i)) over the dimension's k indicators'
--                   ratios, complete cases (units with every indicator counted); sample variances
--   first_pc_share: int_dimension_components_extracted (PCA on the correlation matrix)
--   nominal_weight: the framework's weight share up the tree (product of weight / sum of the
--                   siblings' weights, root excluded) as declared, every sibling present
--   effective_weight_mean/min/max: over the tier's units, from mart_effective_weights (official
--                   framework only; the weights actually applied after NA and exclusions; a
--                   dimension's = the sum of its indicators'), rounded to 12 decimals as there
with observations as (
    select * from {{ for_selected_periods(ref('int_audit_observations_gathered')) }}
),

components as (
    select * from {{ for_selected_periods(ref('int_dimension_components_extracted')) }}
),

-- the one join on mart_effective_weights (its shape may change: adapt here)
effective_weights as (
    select unit_code, period, framework_version, indicator_code, effective_weight
    from {{ for_selected_periods(ref('mart_effective_weights')) }}
),

node_positions as (
    select * from {{ ref('int_framework_nodes_resolved') }}
),

ancestors as (
    select * from {{ ref('int_framework_ancestors_listed') }}
),

nominal_shares as (
    select
        framework_version, node_code, parent_code,
        weight / nullif(sum(weight) over (partition by framework_version, parent_code), 0) as share
    from node_positions
    where parent_code is not null
),

nominal_weights as (
    select
        nominal_shares.framework_version,
        nominal_shares.node_code,
        round(any_value(nominal_shares.share) * coalesce(product(ancestor_shares.share), 1.0), 12) as nominal_weight
    from nominal_shares
    left join ancestors
        on ancestors.framework_version = nominal_shares.framework_version
       and ancestors.node_code = nominal_shares.node_code
    left join nominal_shares as ancestor_shares
        on ancestor_shares.framework_version = ancestors.framework_version
       and ancestor_shares.node_code = ancestors.ancestor_code
    group by nominal_shares.framework_version, nominal_shares.node_code
),

unit_effective_weights as (
    select
        observations.period, observations.framework_version, observations.tier,
        observations.unit_code, observations.indicator_code, observations.dimension_code,
        effective_weights.effective_weight
    from observations
    inner join effective_weights
        on effective_weights.unit_code = observations.unit_code
       and effective_weights.period = observations.period
       and effective_weights.framework_version = observations.framework_version
       and effective_weights.indicator_code = observations.indicator_code
),

indicator_rows as (
    select
        period, framework_version, tier, 'indicator' as level, indicator_code as node_code, dimension_code,
        count(*)                                                as n_units,
        count(*) filter (where not is_missing)                  as n_present,
        skewness(raw_value) filter (where not is_missing)       as skewness,
        kurtosis(raw_value) filter (where not is_missing)       as kurtosis,
        null::integer                                           as n_indicators,
        null::integer                                           as n_complete_units
    from observations
    group by period, framework_version, tier, indicator_code, dimension_code
),

dimension_sizes as (
    select period, framework_version, tier, dimension_code,
           count(distinct indicator_code) as n_indicators,
           count(*) as n_cells,
           count(*) filter (where not is_missing) as n_present
    from observations
    where dimension_code is not null
    group by period, framework_version, tier, dimension_code
),

dimension_scores as (
    select period, framework_version, tier, dimension_code, unit_code, any_value(dimension_ratio) as dimension_ratio
    from observations
    where dimension_code is not null
    group by period, framework_version, tier, dimension_code, unit_code
),

complete_units as (
    select observations.period, observations.framework_version, observations.tier,
           observations.dimension_code, observations.unit_code
    from observations
    inner join dimension_sizes
        on dimension_sizes.period = observations.period
       and dimension_sizes.framework_version = observations.framework_version
       and dimension_sizes.tier = observations.tier
       and dimension_sizes.dimension_code = observations.dimension_code
    where observations.ratio is not null
    group by observations.period, observations.framework_version, observations.tier,
             observations.dimension_code, observations.unit_code
    having count(*) = any_value(dimension_sizes.n_indicators)
),

complete_observations as (
    select observations.*
    from observations
    inner join complete_units using (period, framework_version, tier, dimension_code, unit_code)
),

item_variances as (
    select period, framework_version, tier, dimension_code, indicator_code, var_samp(ratio) as item_variance
    from complete_observations
    group by period, framework_version, tier, dimension_code, indicator_code
),

unit_totals as (
    select period, framework_version, tier, dimension_code, unit_code, sum(ratio) as total
    from complete_observations
    group by period, framework_version, tier, dimension_code, unit_code
),

cronbach as (
    select
        item_sums.period, item_sums.framework_version, item_sums.tier, item_sums.dimension_code,
        total_variances.n_complete_units,
        case when item_sums.k >= 2 and total_variances.n_complete_units >= 2 and total_variances.total_variance > 0
             then item_sums.k / (item_sums.k - 1.0) * (1.0 - item_sums.sum_item_variance / total_variances.total_variance)
        end as cronbach_alpha
    from (
        select period, framework_version, tier, dimension_code, count(*) as k, sum(item_variance) as sum_item_variance
        from item_variances group by period, framework_version, tier, dimension_code
    ) as item_sums
    inner join (
        select period, framework_version, tier, dimension_code, count(*) as n_complete_units,
               var_samp(total) as total_variance
        from unit_totals group by period, framework_version, tier, dimension_code
    ) as total_variances
        using (period, framework_version, tier, dimension_code)
),

dimension_rows as (
    select
        dimension_sizes.period, dimension_sizes.framework_version, dimension_sizes.tier,
        'dimension' as level, dimension_sizes.dimension_code as node_code, dimension_sizes.dimension_code,
        dimension_sizes.n_cells                                 as n_units,
        dimension_sizes.n_present,
        shapes.skewness,
        shapes.kurtosis,
        dimension_sizes.n_indicators,
        coalesce(cronbach.n_complete_units, 0)                  as n_complete_units
    from dimension_sizes
    left join (
        select period, framework_version, tier, dimension_code,
               skewness(dimension_ratio) as skewness, kurtosis(dimension_ratio) as kurtosis
        from dimension_scores group by period, framework_version, tier, dimension_code
    ) as shapes using (period, framework_version, tier, dimension_code)
    left join cronbach using (period, framework_version, tier, dimension_code)
),

effective_per_indicator as (
    select period, framework_version, tier, indicator_code as node_code,
           avg(effective_weight) as effective_weight_mean,
           min(effective_weight) as effective_weight_min,
           max(effective_weight) as effective_weight_max
    from unit_effective_weights
    group by period, framework_version, tier, indicator_code
),

effective_per_dimension as (
    select period, framework_version, tier, node_code,
           avg(effective_weight) as effective_weight_mean,
           min(effective_weight) as effective_weight_min,
           max(effective_weight) as effective_weight_max
    from (
        select period, framework_version, tier, dimension_code as node_code, unit_code,
               sum(effective_weight) as effective_weight
        from unit_effective_weights
        where dimension_code is not null
        group by period, framework_version, tier, dimension_code, unit_code
    )
    group by period, framework_version, tier, node_code
),

audited as (
    select indicator_rows.*, null::double as cronbach_alpha, null::double as first_pc_share,
           effective_per_indicator.effective_weight_mean, effective_per_indicator.effective_weight_min,
           effective_per_indicator.effective_weight_max
    from indicator_rows
    left join effective_per_indicator using (period, framework_version, tier, node_code)
    union all by name
    select dimension_rows.*, cronbach.cronbach_alpha, components.first_pc_share,
           effective_per_dimension.effective_weight_mean, effective_per_dimension.effective_weight_min,
           effective_per_dimension.effective_weight_max
    from dimension_rows
    left join cronbach using (period, framework_version, tier, dimension_code)
    left join components using (period, framework_version, tier, dimension_code)
    left join effective_per_dimension using (period, framework_version, tier, node_code)
)

select
    cast(audited.period as varchar)                 as period,
    cast(audited.framework_version as varchar)      as framework_version,
    cast(audited.tier as varchar)                   as tier,
    cast(audited.level as varchar)                  as level,
    cast(audited.node_code as varchar)              as node_code,
    cast(audited.dimension_code as varchar)         as dimension_code,
    cast(audited.n_units as integer)                as n_units,
    cast(audited.n_present as integer)              as n_present,
    cast(audited.n_present / nullif(audited.n_units, 0) as double) as coverage,
    cast(audited.skewness as double)                as skewness,
    cast(audited.kurtosis as double)                as kurtosis,
    coalesce(abs(audited.skewness) > {{ audit_threshold('skewness') }}
             and audited.kurtosis > {{ audit_threshold('kurtosis') }}, false) as is_outlier_suspect,
    cast(audited.n_indicators as integer)           as n_indicators,
    cast(audited.n_complete_units as integer)       as n_complete_units,
    cast(audited.cronbach_alpha as double)          as cronbach_alpha,
    cast(audited.first_pc_share as double)          as first_pc_share,
    cast(nominal_weights.nominal_weight as double)  as nominal_weight,
    cast(round(audited.effective_weight_mean, 12) as double) as effective_weight_mean,
    cast(round(audited.effective_weight_min, 12) as double) as effective_weight_min,
    cast(round(audited.effective_weight_max, 12) as double) as effective_weight_max
from audited
left join nominal_weights
    on nominal_weights.framework_version = audited.framework_version
   and nominal_weights.node_code = audited.node_code
order by period, framework_version, tier, level desc, dimension_code, node_code
