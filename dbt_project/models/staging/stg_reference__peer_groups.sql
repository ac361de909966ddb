-- Peer groups: units are ranked within their group (分类考核).
with source as (
    select * from {{ ref('peer_groups') }}
),

cleaned as (
    select
        trim(peer_group)        as peer_group,
        trim(peer_group_name)   as peer_group_name,
        lower(trim(tier))       as tier,
        sort_order,
        description
    from source
)

select * from cleaned
