-- One row per received return file, names and types cleaned; no business rules here.
with source as (
    select * from {{ source('raw', 'return_files') }}
),

cleaned as (
    select
        sha256,
        file_name,
        archive_path,
        cast(received_at as timestamp)            as received_at,
        cast(landed_at as timestamp)              as landed_at,
        size_bytes,
        nullif(trim(return_type), '')             as return_type,
        nullif(upper(trim(submitter_code)), '')   as submitter_code,
        nullif(upper(trim(period)), '')           as period,
        status,
        coalesce(reasons, '')                     as reasons,
        error_count,
        warning_count
    from source
)

select * from cleaned
