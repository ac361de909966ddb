-- 整改台账 (销号管理): every ledger item with its history. Items come from the official results of
-- final periods (red lights, 督查 deduction incidents: ops.rectification_findings) and from the
-- office (action `open`). Rule R2: deadline = the office's explicit date, else the period's
-- deadline (or, for office items, the day entered) + deadline_days of the source
-- (seeds/rectification_rules.csv). Status follows the latest action: open → reported (the unit
-- reported measures) → closed (销号) or sent_back (退回, to be reported again). Overdue: not
-- closed and the deadline (Beijing date) has passed; closed_on_time: closed on or before it.
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

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
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
    cast(assembled.item_id as varchar)              as item_id,
    cast(assembled.source as varchar)               as source,
    cast(case assembled.source when 'red_light' then '红灯指标' when 'deduction' then '督查扣分'
              else '考核办录入' end as varchar)      as source_zh,
    cast(assembled.unit_code as varchar)            as unit_code,
    cast(units.unit_name as varchar)                as unit_name,
    cast(assembled.period as varchar)               as period_found,
    cast(assembled.indicator_code as varchar)       as indicator_code,
    cast(assembled.problem as varchar)              as problem,
    cast(assembled.opened_at as timestamp)          as opened_at,
    cast(assembled.opened_by as varchar)            as opened_by,
    cast(assembled.deadline as date)                as deadline,
    cast(assembled.status as varchar)               as status,
    cast(case assembled.status when 'closed' then '已销号' when 'reported' then '已报整改情况'
              when 'sent_back' then '已退回' else '整改中' end as varchar) as status_zh,
    cast(assembled.measures as varchar)             as measures,
    cast(assembled.reported_done as boolean)        as reported_done,
    cast(assembled.evidence_sha256 as varchar)      as evidence_sha256,
    cast(assembled.closed_at as timestamp)          as closed_at,
    cast(assembled.closed_by as varchar)            as closed_by,
    cast(assembled.times_sent_back as bigint)       as times_sent_back,
    cast(assembled.status <> 'closed' and assembled.beijing_today > assembled.deadline as boolean) as is_overdue,
    cast(assembled.status = 'closed'
         and cast(assembled.closed_at + interval 8 hour as date) <= assembled.deadline as boolean) as closed_on_time,
    cast(case when assembled.status <> 'closed' and assembled.beijing_today > assembled.deadline
              then assembled.overdue_deduction end as double) as overdue_deduction,
    cast(assembled.history as varchar)              as history
from assembled
left join units
    on units.unit_code = assembled.unit_code
order by assembled.unit_code, assembled.period, assembled.item_id
