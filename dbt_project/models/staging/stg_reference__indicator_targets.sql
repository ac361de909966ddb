-- Targets per indicator and tier, optionally narrowed to one peer group and/or one framework
-- version (blank = every group / every version). The most specific row wins downstream.
with source as (
    select * from {{ ref('indicator_targets') }}
),

cleaned as (
    select
        nullif(trim(framework_version), '')     as framework_version,
        trim(indicator_code)                    as indicator_code,
        lower(trim(tier))                       as tier,
        nullif(trim(peer_group), '')            as peer_group,
        target,
        note
    from source
)

select * from cleaned
