-- Every return file received, with its version and whether it is current (for all or some of
-- its values), superseded (every value replaced by later files) or rejected.
with files as (
    select * from {{ ref('int_return_files_versioned') }}
)

select
    cast(file_name as varchar)          as file_name,
    cast(sha256 as varchar)             as sha256,
    cast(received_at as timestamp)      as received_at,
    cast(landed_at as timestamp)        as landed_at,
    cast(submitter_code as varchar)     as unit_code,
    cast(period as varchar)             as period,
    cast(version as bigint)             as version,
    cast(status as varchar)             as status,
    cast(reasons as varchar)            as reasons,
    cast(return_type as varchar)        as return_type,
    cast(error_count as integer)        as error_count,
    cast(warning_count as integer)      as warning_count,
    cast(is_current as boolean)         as is_current,
    cast(values_carried as bigint)      as values_carried,
    cast(values_current as bigint)      as values_current
from files
order by received_at, sha256
