-- Appeals (申诉/复核) and their outcome. An upheld appeal is resolved only by a corrected return
-- through the normal intake: the first return accepted from the indicator's designated source
-- (the unit itself, or the evaluator that reports it) for the unit and period after the decision,
-- with the value it carries for the indicator.
with appeals as (
    select * from {{ source('ops', 'appeals') }}
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
),

indicators as (
    select indicator_code, indicator_name_zh, source from {{ ref('stg_reference__indicators') }}
),

accepted_files as (
    select sha256, file_name, received_at, return_type, submitter_code, period, is_current
    from {{ ref('int_return_files_versioned') }}
    where status in ('accepted', 'superseded')
),

values_in_files as (
    select
        accepted_files.*,
        case when accepted_files.return_type = 'unit' then accepted_files.submitter_code
             else return_values.unit_code end       as unit_code,
        return_values.indicator_code,
        return_values.value,
        case when accepted_files.return_type = 'unit' then 'self'
             else accepted_files.submitter_code end as source
    from accepted_files
    inner join {{ ref('stg_returns__values') }} as return_values
        on return_values.sha256 = accepted_files.sha256
),

corrections as (
    select
        appeals.appeal_id,
        values_in_files.sha256          as correction_sha256,
        values_in_files.file_name       as correction_file_name,
        values_in_files.received_at     as correction_received_at,
        values_in_files.value           as corrected_value
    from appeals
    inner join indicators
        on indicators.indicator_code = appeals.indicator_code
    inner join values_in_files
        on values_in_files.unit_code = appeals.unit_code
       and values_in_files.period = appeals.period
       and values_in_files.indicator_code = appeals.indicator_code
       and values_in_files.source = indicators.source
       and values_in_files.received_at > appeals.decided_at
    where appeals.status = 'upheld'
    qualify row_number() over (partition by appeals.appeal_id
                               order by values_in_files.received_at, values_in_files.sha256) = 1
),

current_values as (
    select values_in_files.unit_code, values_in_files.period, values_in_files.indicator_code, values_in_files.value
    from values_in_files
    inner join indicators
        on indicators.indicator_code = values_in_files.indicator_code
       and indicators.source = values_in_files.source
    where values_in_files.is_current
)

select
    cast(appeals.appeal_id as varchar)              as appeal_id,
    cast(appeals.unit_code as varchar)              as unit_code,
    cast(units.unit_name as varchar)                as unit_name,
    cast(appeals.period as varchar)                 as period,
    cast(appeals.indicator_code as varchar)         as indicator_code,
    cast(indicators.indicator_name_zh as varchar)   as indicator_name_zh,
    cast(appeals.claim as varchar)                  as claim,
    cast(appeals.evidence_file_name as varchar)     as evidence_file_name,
    cast(appeals.evidence_sha256 as varchar)        as evidence_sha256,
    cast(appeals.evidence_path as varchar)          as evidence_path,
    cast(appeals.filed_by as varchar)               as filed_by,
    cast(appeals.filed_at as timestamp)             as filed_at,
    cast(appeals.status as varchar)                 as status,
    cast(case appeals.status when 'upheld' then '成立' when 'rejected' then '不予支持'
                             else '待复核' end as varchar) as status_zh,
    cast(appeals.decided_by as varchar)             as decided_by,
    cast(appeals.decided_at as timestamp)           as decided_at,
    cast(appeals.decision_reason as varchar)        as decision_reason,
    cast(current_values.value as double)            as current_value,
    cast(corrections.correction_file_name as varchar) as correction_file_name,
    cast(corrections.correction_sha256 as varchar)  as correction_sha256,
    cast(corrections.correction_received_at as timestamp) as correction_received_at,
    cast(corrections.corrected_value as double)     as corrected_value,
    cast(appeals.status = 'rejected' or corrections.appeal_id is not null as boolean) as is_closed
from appeals
left join units
    on units.unit_code = appeals.unit_code
left join indicators
    on indicators.indicator_code = appeals.indicator_code
left join corrections
    on corrections.appeal_id = appeals.appeal_id
left join current_values
    on current_values.unit_code = appeals.unit_code
   and current_values.period = appeals.period
   and current_values.indicator_code = appeals.indicator_code
order by appeals.filed_at, appeals.appeal_id
