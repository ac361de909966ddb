"""Automation: the nightly schedule, the new-return sensor, the scoring of stale periods, freshness
checks and alert sensors."""

from __future__ import annotations

import hashlib
import json
import warnings
from datetime import timedelta

import dagster as dg

from orchestration import alerts
from orchestration.clock import TIMEZONE
from orchestration.defs.constants import FILES_TAG, LAUNCHED_BY_TAG, TRIGGER_TAG
from orchestration.defs.dbt import dbt_period_models
from orchestration.defs.periods import scoring_run_requests
from orchestration.defs.publish import published_marts
from orchestration.defs.reports import period_reports
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.returns.archive import landed_files

NIGHTLY_CRON = "0 2 * * *"
SENSOR_INTERVAL_SECONDS = 30  # a new return starts a run within about a minute
SETTLE_SECONDS = 5  # a file still being copied (modified in the last seconds) waits for the next tick
FRESHNESS_HOURS = 26

# Published marts older than 26 hours: the nightly run (02:00) missed a night. Dagster 1.13 calls
# these checks "superseded" by FreshnessPolicy; they are kept because a check result is what the
# UI lists beside the other checks and what the alert sensors read (see README "Production").
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning if hasattr(dg, "SupersessionWarning") else Warning)
    freshness_checks = dg.build_last_update_freshness_checks(
        assets=[published_marts],
        lower_bound_delta=timedelta(hours=FRESHNESS_HOURS),
        severity=dg.AssetCheckSeverity.WARN,
    )
    freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks,
        name="published_marts_freshness",
        minimum_interval_seconds=600,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets(dbt_period_models, period_reports)
    - dg.AssetSelection.checks(*freshness_checks)
    - dg.AssetSelection.groups("uncertainty"),
    description="收文归档 → 校验 → 参考数据与收文日志 → 计分计划 → 发布；随后按计划重算有变化的期次 / "
    "Archive, validate, reference models and return log, plan, publish; then the "
    "stale periods are re-scored by `score_periods` runs.",
)

score_periods_job = dg.define_asset_job(
    "score_periods",
    selection=dg.AssetSelection.assets(dbt_period_models, published_marts, period_reports)
    - dg.AssetSelection.checks(*freshness_checks),
    description="按期次重算分数并发布，再生成其报告（可单选一个季度或年度，或回填一段） / Re-score the "
    "selected periods, publish, then make their reports; one quarter or year alone, or a "
    "backfill of a range.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_at_0200",
    job=nightly_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="每晚 02:00（北京时间）运行 / The pipeline at 02:00 Asia/Shanghai.",
)


@dg.run_status_sensor(
    name="score_changed_periods",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_job],
    request_job=score_periods_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="收文运行成功后，重算其计划中的期次 / After each intake run, score the periods its plan found stale.",
)
def score_changed_periods(context: dg.RunStatusSensorContext, wuxing: WuxingHome):
    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY_TAG) == "cli":
        return dg.SkipReason("`wuxing run` scores its own plan")
    requests = scoring_run_requests(context.instance, run.run_id, wuxing.home)
    return requests or dg.SkipReason(f"run {run.run_id}: 无需重算 / no period is stale")


def new_returns(
    home: Home, cursor: str | None, settle_seconds: float = SETTLE_SECONDS, now: float | None = None
) -> tuple[list[tuple[str, str]], str]:
    """(name, sha256) of settled files in landing/ not seen by an earlier tick, and the new cursor.

    The cursor holds the sha256 of every file still in landing/ that already started a run, so a
    file starts one run however many ticks it waits for; once a run archives it, it leaves the
    cursor, and an identical file dropped again later counts as a new drop.
    """
    import time

    now = time.time() if now is None else now
    seen = set(json.loads(cursor)) if cursor else set()
    present, fresh = set(), []
    for path in landed_files(home):
        try:
            stat = path.stat()
            if now - stat.st_mtime < settle_seconds:
                continue
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:  # archived by a run meanwhile
            continue
        present.add(sha)
        if sha not in seen:
            fresh.append((path.name, sha))
            seen.add(sha)
    return fresh, json.dumps(sorted(seen & present))


def run_key(fresh: list[tuple[str, str]]) -> str:
    """One key per set of new files: the same files never start two runs."""
    return "landing-" + hashlib.sha256("\n".join(sorted(sha for _, sha in fresh)).encode()).hexdigest()[:32]


@dg.sensor(
    job=nightly_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="landing/ 有新文件即运行 / Runs the pipeline when new returns land.",
)
def new_return_sensor(context: dg.SensorEvaluationContext, wuxing: WuxingHome):
    fresh, cursor = new_returns(wuxing.home, context.cursor)
    context.update_cursor(cursor)
    if not fresh:
        return dg.SkipReason("landing/ 无新文件 / no new return in landing/")
    names = [name for name, _ in fresh]
    return dg.RunRequest(
        run_key=run_key(fresh), tags={TRIGGER_TAG: "new_return", FILES_TAG: json.dumps(names[:20], ensure_ascii=False)}
    )


def _alert(context: dg.RunStatusSensorContext, wuxing: WuxingHome) -> None:
    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY_TAG) == "cli":
        return  # `wuxing run` alerted for its own run
    sent = alerts.notify(wuxing.home, alerts.alerts_for_run(context.instance, run.run_id))
    for alert in sent:
        context.log.info("alert %s for run %s", alert.kind, run.run_id)


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="运行失败告警 / Alerts log and webhook on a failed run.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, wuxing: WuxingHome):
    _alert(context, wuxing)


@dg.run_status_sensor(
    name="alert_on_check_failure",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="检查未通过告警 / Alerts log and webhook on failed asset checks.",
)
def alert_on_check_failure(context: dg.RunStatusSensorContext, wuxing: WuxingHome):
    _alert(context, wuxing)
