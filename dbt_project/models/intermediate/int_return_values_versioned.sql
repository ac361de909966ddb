-- Rule 1b (supersession per value). Every value row of every accepted file, keyed by
-- (submitter_code, period, unit_code, indicator_code). A later accepted file replaces only the
-- values it carries: a value is current until a later accepted file of the same submitter and
-- period carries the same unit and indicator (a number, 不适用, or the withdrawal mark 撤回).
-- Order of files: (received_at, sha256), as for versions. Within one file the first row wins.
with accepted_files as (
    select sha256, file_name, return_type, submitter_code, period, received_at
    from {{ ref('stg_returns__files') }}
    where status = 'accepted'
),

return_values as (
    select * from {{ ref('stg_returns__values') }}
),

values_of_accepted_files as (
    select
        accepted_files.submitter_code,
        accepted_files.period,
        case
            when accepted_files.return_type = 'unit' then accepted_files.submitter_code
            else return_values.unit_code
        end                                 as unit_code,
        return_values.indicator_code,
        return_values.value,
        return_values.value_text,
        return_values.is_na,
        return_values.is_withdrawn,
        accepted_files.return_type,
        accepted_files.sha256,
        accepted_files.file_name,
        accepted_files.received_at,
        return_values.sheet,
        return_values.source_row
    from return_values
    inner join accepted_files
        on accepted_files.sha256 = return_values.sha256
    where return_values.indicator_code is not null
),

first_row_per_file as (
    select *
    from values_of_accepted_files
    where unit_code is not null
    qualify row_number() over (
        partition by sha256, unit_code, indicator_code
        order by source_row
    ) = 1
),

sequenced as (
    select
        *,
        lead(sha256) over value_history         as replaced_by_sha256,
        lead(file_name) over value_history      as replaced_by_file_name,
        lead(received_at) over value_history    as replaced_at
    from first_row_per_file
    window value_history as (
        partition by submitter_code, period, unit_code, indicator_code
        order by received_at, sha256
    )
)

select
    submitter_code,
    period,
    unit_code,
    indicator_code,
    value,
    value_text,
    is_na,
    is_withdrawn,
    return_type,
    sha256,
    file_name,
    received_at,
    sheet,
    source_row,
    replaced_by_sha256,
    replaced_by_file_name,
    replaced_at,
    replaced_by_sha256 is null              as is_current
from sequenced
