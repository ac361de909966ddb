-- Per-tier targets of indicators.
with source as (
    select * from {{ ref('indicator_targets') }}
),

cleaned as (
    select
        trim(indicator_code)    as indicator_code,
        lower(trim(tier))       as tier,
        target,
        note
    from source
)

select * from cleaned
