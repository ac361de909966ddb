"""The period's life in Dagster: the office finalises (定稿) or reopens a quarter from the UI
(Launchpad of `finalize_period` / `reopen_period`, config: period, reason, decided_by); each
decision is recorded in `ops.period_decisions` and shown as a materialisation of
`period_decisions`; a sensor then starts the nightly job, whose plan re-scores the period."""

import dagster as dg

from orchestration.clock import beijing_text
from orchestration.defs.automation import nightly_job
from orchestration.defs.constants import DECISION_TAG, TRIGGER_TAG, WAREHOUSE_POOL
from orchestration.defs.resources import WuxingHome
from orchestration.lifecycle import FINALIZE, REOPEN, decide
from orchestration.warehouse import connect, ensure_raw_tables

PERIOD_DECISIONS = dg.AssetKey("period_decisions")


class DecisionConfig(dg.Config):
    """What the office decides on: the quarter, why, and who (default: the run's user or 'dagster')."""

    period: str
    reason: str = ""
    decided_by: str = ""


def _record(context: dg.OpExecutionContext, config: DecisionConfig, wuxing: WuxingHome, action: str):
    by = config.decided_by.strip() or context.run.tags.get("dagster/user") or "dagster"
    try:
        with connect(wuxing.home.warehouse) as con:
            ensure_raw_tables(con)
            decision = decide(con, config.period.strip().upper(), action, by, config.reason, context.run.run_id)
    except ValueError as error:
        raise dg.Failure(description=str(error)) from error
    context.log.info(
        "%s %s by %s at %s: %s", action, decision.period, by, beijing_text(decision.decided_at), decision.reason or ""
    )
    yield dg.AssetMaterialization(
        asset_key=PERIOD_DECISIONS,
        partition=None,
        metadata={
            "period": decision.period,
            "action": action,
            "decided_by": by,
            "decided_at": beijing_text(decision.decided_at),
            "reason": decision.reason or "",
            "decision_id": decision.decision_id,
        },
    )
    yield dg.Output(decision.decision_id)


@dg.op(pool=WAREHOUSE_POOL, description="记录定稿 / record that the office finalised the period")
def record_finalisation(context: dg.OpExecutionContext, config: DecisionConfig, wuxing: WuxingHome):
    yield from _record(context, config, wuxing, FINALIZE)


@dg.op(pool=WAREHOUSE_POOL, description="记录重新开放（须说明理由）/ record that the office reopened the period")
def record_reopening(context: dg.OpExecutionContext, config: DecisionConfig, wuxing: WuxingHome):
    yield from _record(context, config, wuxing, REOPEN)


@dg.job(
    name="finalize_period",
    tags={DECISION_TAG: FINALIZE},
    description="定稿：冻结该季度的正式结果（随后自动重算并冻结）/ Finalise a quarter; the period is "
    "then re-scored and its official results frozen.",
)
def finalize_period_job():
    record_finalisation()


@dg.job(
    name="reopen_period",
    tags={DECISION_TAG: REOPEN},
    description="重新开放已定稿的季度（须说明理由；暂存的填报随之计分）/ Reopen a final quarter "
    "(a reason is required); held returns are released.",
)
def reopen_period_job():
    record_reopening()


@dg.run_status_sensor(
    name="rescore_after_period_decision",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[finalize_period_job, reopen_period_job],
    request_job=nightly_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="定稿或重新开放后运行一次收文作业，其计划重算该期次 / After a decision, "
    "run the nightly job; its plan re-scores the period.",
)
def rescore_after_period_decision(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    return dg.RunRequest(run_key=f"decision:{run.run_id}", tags={TRIGGER_TAG: "period_decision"})
