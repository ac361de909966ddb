-- Grade bands per framework version: a unit gets its version's band with the highest min_score
-- not above its total score.
with source as (
    select * from {{ ref('grade_bands') }}
),

cleaned as (
    select
        trim(framework_version) as framework_version,
        trim(grade)         as grade,
        trim(grade_en)      as grade_en,
        min_score,
        lower(trim(light))  as light,
        sort_order
    from source
)

select * from cleaned
