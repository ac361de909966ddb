-- Framework versions (one per assessment year): the periods each scores officially, and from
-- which earlier period it also re-scores for comparison. Periods become sortable indexes
-- (year x 4 + quarter) so ranges can be compared.
with source as (
    select * from {{ ref('framework_versions') }}
),

cleaned as (
    select
        trim(framework_version)                         as framework_version,
        upper(trim(first_period))                       as first_period,
        nullif(upper(trim(last_period)), '')            as last_period,
        nullif(upper(trim(rescore_from_period)), '')    as rescore_from_period,
        coalesce(nullif(lower(trim(annual_rollup)), ''), 'mean_of_quarters') as annual_rollup,
        coalesce(annual_indicator_weight, 0.0)          as annual_indicator_weight,
        name_zh,
        name_en,
        description_zh
    from source
),

indexed as (
    select
        *,
        {{ period_index('first_period') }}          as first_period_index,
        {{ period_index('last_period') }}           as last_period_index,
        {{ period_index('rescore_from_period') }}   as rescore_from_period_index
    from cleaned
)

select * from indexed
