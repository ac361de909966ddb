-- 整改台账 per unit: items, still open, overdue, closed on time and late, and the points the
-- overdue items cost where the source's rule sets overdue_deduction (fct_rectification_items).
with items as (
    select * from {{ ref('fct_rectification_items') }}
)

select
    cast(unit_code as varchar)                                          as unit_code,
    cast(any_value(unit_name) as varchar)                               as unit_name,
    cast(count(*) as bigint)                                            as items,
    cast(count(*) filter (where status <> 'closed') as bigint)          as open_items,
    cast(count(*) filter (where is_overdue) as bigint)                  as overdue_items,
    cast(count(*) filter (where closed_on_time) as bigint)              as closed_on_time,
    cast(count(*) filter (where status = 'closed' and not closed_on_time) as bigint) as closed_late,
    cast(coalesce(sum(overdue_deduction), 0) as double)                 as overdue_deduction
from items
group by unit_code
order by unit_code
