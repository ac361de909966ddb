-- Aggregate nodes of each framework version's tree (composite, parts, dimensions, measures, or
-- any deeper levels). A blank weight means "the sum of the weights of the children counted".
with source as (
    select * from {{ ref('framework_nodes') }}
),

cleaned as (
    select
        trim(framework_version)             as framework_version,
        trim(node_code)                     as node_code,
        nullif(trim(parent_code), '')       as parent_code,
        lower(trim(node_type))              as node_type,
        node_name_zh,
        node_name_en,
        weight,
        lower(trim(aggregation))            as aggregation,
        sort_order
    from source
)

select * from cleaned
