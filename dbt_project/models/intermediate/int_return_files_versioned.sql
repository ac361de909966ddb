-- Rule 1 (versions). A file belongs to (submitter_code, period).
--   version   = 1, 2, ... over ALL files received for the pair, in (received_at, sha256) order;
--   current   = an accepted file that still provides at least one current value (rule 1b,
--               int_return_values_versioned: a later file replaces only the values it carries);
--   status    = 'accepted' for a current file (wholly or partly), 'superseded' for an accepted
--               file whose every value a later file replaced, 'rejected' for files rejected by
--               validation.
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

values_per_file as (
    select
        sha256,
        count(*)                                as values_carried,
        count(*) filter (where is_current)      as values_current
    from {{ ref('int_return_values_versioned') }}
    group by sha256
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
            when coalesce(values_per_file.values_current, 0) > 0 then 'accepted'
            else 'superseded'
        end                                                 as status,
        files.status = 'accepted'
            and coalesce(values_per_file.values_current, 0) > 0 as is_current,
        coalesce(values_per_file.values_carried, 0)         as values_carried,
        coalesce(values_per_file.values_current, 0)         as values_current,
        files.reasons,
        files.error_count,
        files.warning_count
    from files
    inner join files_numbered
        on files_numbered.sha256 = files.sha256
    left join values_per_file
        on values_per_file.sha256 = files.sha256
)

select * from versioned
