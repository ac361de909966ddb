-- Rule 3a (who is scored). A unit is scored for a period iff it has a current accepted unit
-- return for that period. Carries the unit's tier and peer group for the later models.
with current_unit_returns as (
    select submitter_code as unit_code, period
    from {{ for_selected_periods(ref('int_return_files_versioned')) }}
    where is_current
      and return_type = 'unit'
      and period is not null
),

units as (
    select unit_code, tier, peer_group from {{ ref('stg_reference__units') }}
),

selected as (
    select distinct
        units.unit_code,
        current_unit_returns.period,
        units.tier,
        units.peer_group
    from current_unit_returns
    inner join units
        on units.unit_code = current_unit_returns.unit_code
)

select * from selected
