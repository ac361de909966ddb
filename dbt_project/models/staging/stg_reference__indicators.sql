-- The indicator catalogue: everything a return can report (scored indicators, bonus and deduction
-- items). How an indicator is scored is not here: that is per framework version
-- (stg_reference__framework_indicators).
with source as (
    select * from {{ ref('indicators') }}
),

cleaned as (
    select
        trim(indicator_code)            as indicator_code,
        lower(trim(kind))               as kind,
        indicator_name_zh,
        indicator_name_en,
        unit_of_measure,
        lower(trim(value_type))         as value_type,
        lower(trim(direction))          as direction,
        tiers,
        trim(source)                    as source,
        coalesce(required, false)       as required,
        coalesce(allow_na, false)       as allow_na,
        source_doc,
        description_zh
    from source
)

select * from cleaned
