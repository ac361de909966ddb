-- One row per problem found while validating a return file.
with source as (
    select * from {{ source('raw', 'return_issues') }}
),

cleaned as (
    select
        sha256,
        severity,
        rule,
        sheet,
        source_row,
        column_name,
        value_seen,
        message_zh,
        fix_zh
    from source
)

select * from cleaned
