-- Statistical audit (issue 18), after COINr's get_corr_flags: Pearson correlation of each
-- quarterly indicator's scored ratio with its own dimension's ratio and with the composite's
-- (the root node), and between every two indicators of one dimension, over the units of a tier
-- that have both (pairwise complete). Flags (macros/audit.sql): negative (< -near_zero), near
-- zero (|r| <= near_zero) against the dimension or composite; redundant (> 0.92) for a pair.
-- No correlation (null) with fewer than min_units units or a constant side.
with observations as (
    select * from {{ for_selected_periods(ref('int_audit_observations_gathered')) }}
    where ratio is not null
),

against_parents as (
    select period, framework_version, tier, indicator_code, dimension_code,
           'dimension' as compared_with, dimension_code as compared_code,
           ratio as x, dimension_ratio as y
    from observations
    where dimension_code is not null and dimension_ratio is not null
    union all
    select period, framework_version, tier, indicator_code, dimension_code,
           'composite' as compared_with, 'composite' as compared_code,
           ratio as x, composite_ratio as y
    from observations
    where composite_ratio is not null
),

indicator_pairs as (
    select first.period, first.framework_version, first.tier, first.indicator_code, first.dimension_code,
           'indicator' as compared_with, second.indicator_code as compared_code,
           first.ratio as x, second.ratio as y
    from observations as first
    inner join observations as second
        on second.unit_code = first.unit_code
       and second.period = first.period
       and second.framework_version = first.framework_version
       and second.dimension_code = first.dimension_code
       and second.indicator_code > first.indicator_code
),

correlated as (
    select
        period, framework_version, tier, indicator_code, dimension_code, compared_with, compared_code,
        count(*)                            as n_units,
        case when count(*) >= {{ audit_threshold('min_units') }} and var_samp(x) > 0 and var_samp(y) > 0
             then corr(x, y) end            as correlation
    from (select * from against_parents union all select * from indicator_pairs)
    group by period, framework_version, tier, indicator_code, dimension_code, compared_with, compared_code
)

select
    cast(period as varchar)                 as period,
    cast(framework_version as varchar)      as framework_version,
    cast(tier as varchar)                   as tier,
    cast(indicator_code as varchar)         as indicator_code,
    cast(dimension_code as varchar)         as dimension_code,
    cast(compared_with as varchar)          as compared_with,
    cast(compared_code as varchar)          as compared_code,
    cast(n_units as integer)                as n_units,
    cast(correlation as double)             as correlation,
    cast(case
        when correlation is null then null
        when compared_with = 'indicator' then
            case when correlation > {{ audit_threshold('redundant') }} then 'redundant' end
        when correlation < -{{ audit_threshold('near_zero') }} then 'negative'
        when abs(correlation) <= {{ audit_threshold('near_zero') }} then 'near_zero'
    end as varchar)                         as flag
from correlated
order by period, framework_version, tier, indicator_code, compared_with, compared_code
