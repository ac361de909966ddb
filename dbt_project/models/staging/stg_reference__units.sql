-- Assessed units (cities, counties, provincial departments).
with source as (
    select * from {{ ref('units') }}
),

cleaned as (
    select
        trim(unit_code)                     as unit_code,
        trim(unit_name)                     as unit_name,
        trim(short_name)                    as short_name,
        nullif(trim(aliases), '')           as aliases,
        lower(trim(tier))                   as tier,
        nullif(trim(parent_code), '')       as parent_code,
        trim(peer_group)                    as peer_group
    from source
)

select * from cleaned
