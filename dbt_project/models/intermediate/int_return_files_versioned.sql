-- Rule 1 (versions). A file belongs to (submitter_code, period).
--   version   = 1, 2, ... over ALL files received for the pair, in (received_at, sha256) order;
--   current   = the latest (received_at, sha256) among the pair's accepted files;
--   status    = 'accepted' for the current file, 'superseded' for older accepted files,
--               'rejected' for files rejected by validation.
with files as (
    select * from {{ ref('stg_returns__files') }}
),

files_numbered as (
    select
        sha256,
        row_number() over (
            partition by submitter_code, period
            order by received_at, sha256
        ) as version
    from files
),

accepted_files_by_recency as (
    select
        sha256,
        row_number() over (
            partition by submitter_code, period
            order by received_at desc, sha256 desc
        ) as accepted_recency
    from files
    where status = 'accepted'
),

versioned as (
    select
        files.sha256,
        files.file_name,
        files.archive_path,
        files.received_at,
        files.landed_at,
        files.size_bytes,
        files.return_type,
        files.submitter_code,
        files.period,
        files_numbered.version,
        files.status                                        as ingest_status,
        case
            when files.status = 'held' then 'held'  -- its period was final (orchestration.lifecycle)
            when files.status <> 'accepted' then 'rejected'
            when accepted_files_by_recency.accepted_recency = 1 then 'accepted'
            else 'superseded'
        end                                                 as status,
        coalesce(accepted_files_by_recency.accepted_recency = 1, false) as is_current,
        files.reasons,
        files.error_count,
        files.warning_count
    from files
    inner join files_numbered
        on files_numbered.sha256 = files.sha256
    left join accepted_files_by_recency
        on accepted_files_by_recency.sha256 = files.sha256
)

select * from versioned
