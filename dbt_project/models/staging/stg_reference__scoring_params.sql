-- Scoring parameters pivoted to one row per framework version with typed columns.
with source as (
    select trim(framework_version) as framework_version, trim(param) as param, trim(value) as value
    from {{ ref('scoring_params') }}
),

pivoted as (
    select
        framework_version,
        max(case when param = 'bonus_cap'                then try_cast(value as double) end) as bonus_cap,
        max(case when param = 'deduction_cap'            then try_cast(value as double) end) as deduction_cap,
        max(case when param = 'score_floor'              then try_cast(value as double) end) as score_floor,
        max(case when param = 'light_yellow_ratio'       then try_cast(value as double) end) as light_yellow_ratio,
        max(case when param = 'light_green_score_ratio'  then try_cast(value as double) end) as light_green_score_ratio,
        max(case when param = 'light_yellow_score_ratio' then try_cast(value as double) end) as light_yellow_score_ratio,
        max(case when param = 'score_ceiling'            then try_cast(value as double) end) as score_ceiling,
        coalesce(max(case when param = 'list_size'       then try_cast(value as integer) end), 3) as list_size,
        -- precision: decimals of the published scores; ranks on the exact total unless `published`
        coalesce(max(case when param = 'score_decimals'  then try_cast(value as integer) end), 2) as score_decimals,
        coalesce(max(case when param = 'rank_by'         then value end), 'exact')             as rank_by,
        -- who an indicator is normalised against (peer_group, tier or all), z-score deviation
        coalesce(max(case when param = 'normalisation_scope' then value end), 'peer_group')  as normalisation_scope,
        coalesce(max(case when param = 'zscore_sd'       then value end), 'population')        as zscore_sd,
        coalesce(max(case when param = 'min_coverage'    then try_cast(value as double) end), 0.0) as min_coverage,
        -- the composite rescaled after aggregation (int_composite_scores_rescaled); blank: not rescaled
        max(case when param = 'composite_rescale' then nullif(value, '') end)                 as composite_rescale,
        max(case when param = 'composite_rescale_a' then try_cast(value as double) end)       as composite_rescale_a,
        max(case when param = 'composite_rescale_b' then try_cast(value as double) end)       as composite_rescale_b
    from source
    group by framework_version
)

select * from pivoted
