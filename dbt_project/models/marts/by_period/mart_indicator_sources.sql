-- Where every scored value came from (数据溯源): one row per unit, period and indicator with a value
-- in a current return — the return file, its sha256, the sheet and the row — so a report can show,
-- beside each indicator score, the cell it was computed from.
with current_values as (
    select * from {{ for_selected_periods(ref('int_indicator_values_current')) }}
),

files as (
    select sha256, file_name from {{ ref('int_return_files_versioned') }}
),

rows_of_files as (
    select sha256, source_row, indicator_code, min(sheet) as sheet
    from {{ ref('stg_returns__values') }}
    group by sha256, source_row, indicator_code
)

select
    cast(current_values.unit_code as varchar)      as unit_code,
    cast(current_values.period as varchar)         as period,
    cast(current_values.indicator_code as varchar) as indicator_code,
    cast(files.file_name as varchar)               as file_name,
    cast(current_values.sha256 as varchar)         as sha256,
    cast(rows_of_files.sheet as varchar)           as sheet,
    cast(current_values.source_row as integer)     as source_row,
    cast(current_values.return_type as varchar)    as return_type,
    cast(current_values.submitter_code as varchar) as submitter_code
from current_values
inner join files
    on files.sha256 = current_values.sha256
left join rows_of_files
    on rows_of_files.sha256 = current_values.sha256
   and rows_of_files.source_row = current_values.source_row
   and rows_of_files.indicator_code = current_values.indicator_code
order by period, unit_code, indicator_code
