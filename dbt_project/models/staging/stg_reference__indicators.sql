-- Everything a return can report: scored indicators, bonus items, deduction items.
with source as (
    select * from {{ ref('indicators') }}
),

cleaned as (
    select
        trim(indicator_code)            as indicator_code,
        lower(trim(kind))               as kind,
        nullif(trim(measure_code), '')  as measure_code,
        indicator_name_zh,
        indicator_name_en,
        unit_of_measure,
        lower(trim(value_type))         as value_type,
        lower(trim(direction))          as direction,
        lower(trim(scoring_method))     as scoring_method,
        param_a,
        param_b,
        full_marks,
        tiers,
        trim(source)                    as source,
        coalesce(required, false)       as required,
        coalesce(allow_na, false)       as allow_na,
        source_doc,
        description_zh
    from source
)

select * from cleaned
