-- Every value of every accepted return: where it came from (file, sheet, row) and which later
-- file replaced it (null while it is current). Withdrawals (撤回) appear as values too.
with value_versions as (
    select * from {{ ref('int_return_values_versioned') }}
)

select
    cast(submitter_code as varchar)         as submitter_code,
    cast(period as varchar)                 as period,
    cast(unit_code as varchar)              as unit_code,
    cast(indicator_code as varchar)         as indicator_code,
    cast(value as double)                   as value,
    cast(value_text as varchar)             as value_text,
    cast(is_na as boolean)                  as is_na,
    cast(is_withdrawn as boolean)           as is_withdrawn,
    cast(file_name as varchar)              as file_name,
    cast(sha256 as varchar)                 as sha256,
    cast(received_at as timestamp)          as received_at,
    cast(sheet as varchar)                  as sheet,
    cast(source_row as integer)             as source_row,
    cast(replaced_by_file_name as varchar)  as replaced_by_file_name,
    cast(replaced_by_sha256 as varchar)     as replaced_by_sha256,
    cast(replaced_at as timestamp)          as replaced_at,
    cast(is_current as boolean)             as is_current
from value_versions
order by submitter_code, period, unit_code, indicator_code, received_at, sha256
