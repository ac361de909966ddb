-- The assessment calendar: one row per quarter with its deadline (报送截止日) and closing day.
with source as (
    select * from {{ ref('periods') }}
),

cleaned as (
    select
        upper(trim(period::varchar))        as period,
        cast(start_date as date)            as start_date,
        cast(end_date as date)              as end_date,
        cast(deadline as date)              as deadline,
        cast(closed_on as date)             as closed_on
    from source
)

select *, {{ period_index('period') }} as period_index from cleaned
