-- Rule 2 (current values). The current values (rule 1b: the latest accepted file carrying each
-- value; a withdrawn value is no value), one row per (unit, period, indicator).
--   unit returns        -> the submitting unit's own values (unit_code = submitter_code);
--   evaluation returns  -> values the evaluator reports for many units (unit_code per row).
-- A value is taken only from the indicator's designated source (indicators.source: 'self' = the
-- unit's own return, otherwise that evaluator's return), as the validator and the template do.
with current_values as (
    select *
    from {{ for_selected_periods(ref('int_return_values_versioned')) }}
    where is_current
      and not is_withdrawn
),

indicators as (
    select indicator_code, source from {{ ref('stg_reference__indicators') }}
),

values_of_current_files as (
    select
        unit_code,
        period,
        indicator_code,
        value,
        value_text,
        is_na,
        return_type,
        submitter_code,
        sha256,
        source_row
    from current_values
),

values_from_designated_source as (
    select values_of_current_files.*
    from values_of_current_files
    inner join indicators
        on indicators.indicator_code = values_of_current_files.indicator_code
    where values_of_current_files.unit_code is not null
      and (
            (indicators.source = 'self' and values_of_current_files.return_type = 'unit')
         or (indicators.source = values_of_current_files.submitter_code
             and values_of_current_files.return_type = 'evaluation')
      )
),

deduplicated as (
    select *
    from values_from_designated_source
    qualify row_number() over (
        partition by unit_code, period, indicator_code
        order by source_row, sha256
    ) = 1
)

select
    unit_code,
    period,
    indicator_code,
    value,
    value_text,
    is_na,
    return_type,
    submitter_code,
    sha256,
    source_row
from deduplicated
