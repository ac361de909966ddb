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
        coalesce(max(case when param = 'min_coverage'    then try_cast(value as double) end), 0.0) as min_coverage
    from source
    group by framework_version
)

select * from pivoted
