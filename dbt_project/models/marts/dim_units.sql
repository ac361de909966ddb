-- Assessed units with their peer group and parent city.
with units as (
    select * from {{ ref('stg_reference__units') }}
),

peer_groups as (
    select * from {{ ref('stg_reference__peer_groups') }}
)

select
    cast(units.unit_code as varchar)            as unit_code,
    cast(units.unit_name as varchar)            as unit_name,
    cast(units.short_name as varchar)           as short_name,
    cast(units.aliases as varchar)              as aliases,
    cast(units.tier as varchar)                 as tier,
    cast(units.parent_code as varchar)          as parent_code,
    cast(parents.unit_name as varchar)          as parent_name,
    cast(units.peer_group as varchar)           as peer_group,
    cast(peer_groups.peer_group_name as varchar) as peer_group_name
from units
left join units as parents
    on parents.unit_code = units.parent_code
left join peer_groups
    on peer_groups.peer_group = units.peer_group
order by units.unit_code
