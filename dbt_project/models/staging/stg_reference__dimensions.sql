-- Level 1 of the indicator tree: the five types (五型).
with source as (
    select * from {{ ref('dimensions') }}
),

cleaned as (
    select
        trim(dimension_code)        as dimension_code,
        trim(dimension_name_zh)     as dimension_name_zh,
        trim(dimension_name_en)     as dimension_name_en,
        full_marks,
        sort_order
    from source
)

select * from cleaned
