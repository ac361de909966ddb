-- Level 2 of the indicator tree: the 二级指标 (measures) of each dimension.
with source as (
    select * from {{ ref('measures') }}
),

cleaned as (
    select
        trim(measure_code)          as measure_code,
        trim(dimension_code)        as dimension_code,
        trim(measure_name_zh)       as measure_name_zh,
        trim(measure_name_en)       as measure_name_en,
        sort_order
    from source
)

select * from cleaned
