-- One row per data row of every parsed return file (accepted or not).
with source as (
    select * from {{ source('raw', 'return_values') }}
),

cleaned as (
    select
        sha256,
        nullif(upper(trim(unit_code)), '')        as unit_code,
        nullif(upper(trim(period)), '')           as period,
        nullif(upper(trim(indicator_code)), '')   as indicator_code,
        value,
        value_text,
        coalesce(is_na, false)                    as is_na,
        coalesce(is_withdrawn, false)             as is_withdrawn,
        sheet,
        source_row
    from source
)

select * from cleaned
