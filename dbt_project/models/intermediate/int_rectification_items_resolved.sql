{{ config(materialized='view') }}
-- 整改台账 (销号管理): every ledger item with its deadline, status and history. Items come from the
-- official results of final periods (red lights, 督查 deduction incidents: ops.rectification_findings)
-- and from the office (action `open`). Rule R2: deadline = the office's explicit date, else the
-- period's deadline (or, for office items, the day entered) + deadline_days of the source
-- (seeds/rectification_rules.csv). Status follows the latest action: open → reported (the unit
-- reported measures) → closed (销号) or sent_back (退回, to be reported again). Overdue: not closed
-- and the deadline (Beijing date) has passed; closed_on_time: closed on or before it.
-- A view, so it reads the ledger as it is now: orchestration.periods fingerprints each quarter
-- with the deductions derived from it (int_rectification_deductions_assigned) before scoring.
with findings as (
    select item_id, source, unit_code, period, indicator_code, problem,
           cast(found_at as timestamp) as opened_at, null::date as explicit_deadline, null::varchar as opened_by
    from {{ source('ops', 'rectification_findings') }}
),

actions as (
    select * from {{ source('ops', 'rectification_actions') }}
),

office_items as (
    select item_id, 'office' as source, unit_code, period, null::varchar as indicator_code, problem,
           cast(acted_at as timestamp) as opened_at, deadline as explicit_deadline, acted_by as opened_by
    from actions
    where action = 'open'
),

items as (
    select * from findings
    union all
    select * from office_items
),

rules as (
    select * from {{ ref('stg_reference__rectification_rules') }}
),

calendar as (
    select period, deadline from {{ ref('stg_reference__periods') }}
),

history as (
    select
        item_id,
        arg_max(action, (acted_at, action_id)) filter (where action <> 'open')   as last_action,
        max(acted_at) filter (where action = 'close')                            as closed_at,
        arg_max(acted_by, acted_at) filter (where action = 'close')              as closed_by,
        arg_max(measures, acted_at) filter (where action = 'report')             as measures,
        arg_max(done, acted_at) filter (where action = 'report')                 as reported_done,
        arg_max(evidence_sha256, acted_at) filter (where action = 'report')      as evidence_sha256,
        count(*) filter (where action = 'send_back')                             as times_sent_back,
        string_agg(action || ' ' || acted_by || ' '
                   || strftime(acted_at + interval 8 hour, '%Y-%m-%d %H:%M') || ' 北京时间'
                   || coalesce('：' || coalesce(note, measures), ''), '；' order by acted_at, action_id)
            filter (where action <> 'open')                                      as history
    from actions
    group by item_id
),

today as (
    select cast((get_current_timestamp() at time zone 'UTC') + interval 8 hour as date) as beijing_today
),

assembled as (
    select
        items.*,
        rules.overdue_deduction,
        coalesce(items.explicit_deadline,
                 case when items.source = 'office' then cast(items.opened_at + interval 8 hour as date)
                      else calendar.deadline end + rules.deadline_days)          as deadline,
        case history.last_action when 'close' then 'closed' when 'report' then 'reported'
             when 'send_back' then 'sent_back' else 'open' end                   as status,
        history.closed_at,
        history.closed_by,
        history.measures,
        history.reported_done,
        history.evidence_sha256,
        coalesce(history.times_sent_back, 0)                                     as times_sent_back,
        history.history,
        today.beijing_today
    from items
    cross join today
    left join rules
        on rules.source = items.source
    left join calendar
        on calendar.period = items.period
    left join history
        on history.item_id = items.item_id
)

select
    assembled.* exclude (beijing_today),
    assembled.status <> 'closed' and assembled.beijing_today > assembled.deadline          as is_overdue,
    assembled.status = 'closed'
        and cast(assembled.closed_at + interval 8 hour as date) <= assembled.deadline      as closed_on_time,
    -- Rule R3: an item costs its rule's overdue_deduction once it was not closed by its deadline
    -- (still open after it, or closed later), whatever happens after.
    assembled.overdue_deduction is not null
        and (assembled.status = 'closed' and cast(assembled.closed_at + interval 8 hour as date) > assembled.deadline
             or assembled.status <> 'closed' and assembled.beijing_today > assembled.deadline) as missed_deadline
from assembled
