{{ config(materialized='view') }}
-- Rule R3 (overdue deduction, 逾期扣分): a ledger item whose source rule sets overdue_deduction
-- (seeds/rectification_rules.csv) and that was not closed (销号) by its deadline costs that many
-- points in the quarter it went overdue in: the quarter of the calendar whose start_date ..
-- end_date holds deadline + 1 day, i.e. the quarter after the one it was found in ("整改期满后的
-- 季度"). One row per item, the adjustment int_unit_scores_totalled subtracts outside the
-- framework's deduction cap. A view, so orchestration.periods reads the ledger as it is now and
-- re-scores the quarter when it changes.
with items as (
    select * from {{ ref('int_rectification_items_resolved') }}
    where missed_deadline
),

calendar as (
    select period, start_date, end_date from {{ ref('stg_reference__periods') }}
)

select
    calendar.period,
    items.unit_code,
    items.item_id,
    items.source,
    items.period                                                  as period_found,
    items.indicator_code,
    items.problem,
    items.deadline,
    items.deadline + 1                                            as overdue_since,
    items.status,
    items.closed_at,
    items.overdue_deduction                                       as points,
    '整改事项 ' || items.item_id || '（' || items.period || ' 发现：' || items.problem || '）整改期限 '
        || strftime(items.deadline, '%Y-%m-%d') || '，'
        || case when items.status = 'closed'
                then '逾期于 ' || strftime(cast(items.closed_at + interval 8 hour as date), '%Y-%m-%d') || ' 才销号'
                else '逾期未销号' end
        || '，按 rectification_rules.csv 扣 ' || items.overdue_deduction || ' 分'  as reason
from items
inner join calendar
    on items.deadline + 1 between calendar.start_date and calendar.end_date
