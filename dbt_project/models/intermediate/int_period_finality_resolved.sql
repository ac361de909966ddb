-- Rule P1 (final periods). A period is final (定稿) when the office's latest decision on it is
-- `finalize`; a later `reopen` makes it provisional again. One row per period with a decision.
with decisions as (
    select * from {{ ref('stg_ops__period_decisions') }}
),

latest as (
    select
        period,
        arg_max(action, (decided_at, decision_id))        as last_action,
        arg_max(decision_id, (decided_at, decision_id))   as last_decision_id,
        count(*)                                          as decision_count
    from decisions
    group by period
),

last_finalisation as (
    select period, decision_id, decided_at, decided_by, reason, run_id, code_version, returns_sha256
    from decisions
    where action = 'finalize'
    qualify row_number() over (partition by period order by decided_at desc, decision_id desc) = 1
),

last_reopening as (
    select period, decided_at, decided_by, reason
    from decisions
    where action = 'reopen'
    qualify row_number() over (partition by period order by decided_at desc, decision_id desc) = 1
)

select
    latest.period,
    latest.last_action = 'finalize'                 as is_final,
    latest.last_decision_id,
    latest.decision_count,
    last_finalisation.decision_id                   as finalisation_id,
    last_finalisation.decided_at                    as finalised_at,
    last_finalisation.decided_by                    as finalised_by,
    last_finalisation.reason                        as finalisation_reason,
    last_finalisation.run_id                        as finalised_run_id,
    last_finalisation.code_version                  as finalised_code_version,
    last_finalisation.returns_sha256                as finalised_returns_sha256,
    last_reopening.decided_at                       as reopened_at,
    last_reopening.decided_by                       as reopened_by,
    last_reopening.reason                           as reopening_reason
from latest
left join last_finalisation
    on last_finalisation.period = latest.period
left join last_reopening
    on last_reopening.period = latest.period
