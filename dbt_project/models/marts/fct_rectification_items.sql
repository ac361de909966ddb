-- 整改台账 (销号管理): every ledger item with its history, as int_rectification_items_resolved
-- decides it (rules R2, R3), with names, Chinese labels and the quarter an overdue item's
-- deduction is taken from (int_rectification_deductions_assigned).
with items as (
    select * from {{ ref('int_rectification_items_resolved') }}
),

deductions as (
    select item_id, period as deduction_period from {{ ref('int_rectification_deductions_assigned') }}
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
)

select
    cast(items.item_id as varchar)                  as item_id,
    cast(items.source as varchar)                   as source,
    cast(case items.source when 'red_light' then '红灯指标' when 'deduction' then '督查扣分'
              else '考核办录入' end as varchar)      as source_zh,
    cast(items.unit_code as varchar)                as unit_code,
    cast(units.unit_name as varchar)                as unit_name,
    cast(items.period as varchar)                   as period_found,
    cast(items.indicator_code as varchar)           as indicator_code,
    cast(items.problem as varchar)                  as problem,
    cast(items.opened_at as timestamp)              as opened_at,
    cast(items.opened_by as varchar)                as opened_by,
    cast(items.deadline as date)                    as deadline,
    cast(items.status as varchar)                   as status,
    cast(case items.status when 'closed' then '已销号' when 'reported' then '已报整改情况'
              when 'sent_back' then '已退回' else '整改中' end as varchar) as status_zh,
    cast(items.measures as varchar)                 as measures,
    cast(items.reported_done as boolean)            as reported_done,
    cast(items.evidence_sha256 as varchar)          as evidence_sha256,
    cast(items.closed_at as timestamp)              as closed_at,
    cast(items.closed_by as varchar)                as closed_by,
    cast(items.times_sent_back as bigint)           as times_sent_back,
    cast(items.is_overdue as boolean)               as is_overdue,
    cast(items.closed_on_time as boolean)           as closed_on_time,
    cast(case when items.is_overdue then items.overdue_deduction end as double) as overdue_deduction,
    cast(items.history as varchar)                  as history,
    cast(deductions.deduction_period as varchar)    as deduction_period
from items
left join units
    on units.unit_code = items.unit_code
left join deductions
    on deductions.item_id = items.item_id
order by items.unit_code, items.period, items.item_id
