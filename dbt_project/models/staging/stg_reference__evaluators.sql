-- Evaluators: bodies that submit evaluation returns about other units.
with source as (
    select * from {{ ref('evaluators') }}
),

cleaned as (
    select
        trim(evaluator_code)    as evaluator_code,
        trim(evaluator_name)    as evaluator_name,
        description
    from source
)

select * from cleaned
