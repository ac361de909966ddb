-- Every problem found in a return, blocking (error) or not (warning), with where it is and the fix:
-- the same lines as the notice a submitter receives, one row each, for analysts to count and filter.
with issues as (
    select * from {{ ref('stg_returns__issues') }}
),

files as (
    select sha256, file_name, received_at, unit_code, period, status
    from {{ ref('mart_return_log') }}
)

select
    files.file_name,
    issues.sha256,
    files.received_at,
    files.unit_code,
    files.period,
    files.status         as file_status,
    issues.severity,
    issues.rule,
    issues.sheet,
    issues.source_row,
    issues.column_name,
    issues.value_seen,
    issues.message_zh,
    issues.fix_zh
from issues
inner join files
    on files.sha256 = issues.sha256
