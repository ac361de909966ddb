-- 整改台账逾期扣分: every point the ledger's overdue items cost, per quarter the deduction is taken
-- from (rule R3, int_rectification_deductions_assigned): which item, how much, why. The sum per
-- unit and quarter is mart_unit_rankings.overdue_deduction. Period-keyed, so a final quarter's
-- rows are frozen with its official results.
with deductions as (
    select * from {{ for_selected_periods(ref('int_rectification_deductions_assigned')) }}
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
)

select
    cast(deductions.period as varchar)          as period,
    cast(deductions.unit_code as varchar)       as unit_code,
    cast(units.unit_name as varchar)            as unit_name,
    cast(deductions.item_id as varchar)         as item_id,
    cast(deductions.source as varchar)          as source,
    cast(deductions.period_found as varchar)    as period_found,
    cast(deductions.indicator_code as varchar)  as indicator_code,
    cast(deductions.problem as varchar)         as problem,
    cast(deductions.deadline as date)           as deadline,
    cast(deductions.overdue_since as date)      as overdue_since,
    cast(deductions.status as varchar)          as status,
    cast(deductions.closed_at as timestamp)     as closed_at,
    cast(deductions.points as double)           as points,
    cast(deductions.reason as varchar)          as reason
from deductions
left join units
    on units.unit_code = deductions.unit_code
order by deductions.period, deductions.unit_code, deductions.item_id
