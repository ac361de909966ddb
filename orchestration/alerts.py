"""Run-failure and check-failure alerts: always appended to <home>/alerts.log, optionally POSTed
to a DingTalk or WeCom group robot.

One code path for every way a run happens: the alert sensors (runs started by the schedule, the
landing sensor or the UI) and `wuxing run` (in-process) both call `alerts_for_run` then `notify`.

Webhook settings come from the environment of the process that sends (the daemon or the CLI):
`WUXING_ALERT_WEBHOOK` (the robot's URL) and `WUXING_ALERT_FORMAT` (`dingtalk` or `wecom`;
guessed from the URL when unset). Nothing is sent when no webhook is configured.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import dagster as dg

from orchestration.clock import beijing, now_text
from orchestration.home import Home
from orchestration.secrets import WEBHOOK_ENV, SecretSettingError, check_settings, mask

ALERTS_LOG = "alerts.log"
FORMAT_ENV = "WUXING_ALERT_FORMAT"
FORMATS = ("dingtalk", "wecom")
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Alert:
    """One thing an operator has to look at."""

    kind: str  # run_failure | check_failure
    title: str
    text: str  # markdown
    run_id: str
    job: str
    details: list[dict] = field(default_factory=list)
    at: str = field(default_factory=lambda: beijing(datetime.now(UTC)).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class Webhook:
    url: str
    format: str  # dingtalk | wecom

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Webhook | None:
        """The configured webhook, or None; SecretSettingError (masked) for a malformed URL."""
        env = os.environ if env is None else env
        url = env.get(WEBHOOK_ENV, "").strip()
        if not url:
            return None
        check_settings({WEBHOOK_ENV: url})
        kind = env.get(FORMAT_ENV, "").strip().lower() or guess_format(url)
        if kind not in FORMATS:
            raise ValueError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {kind!r}")
        return cls(url=url, format=kind)


def guess_format(url: str) -> str:
    """dingtalk for oapi.dingtalk.com robots, wecom for qyapi.weixin.qq.com ones, else dingtalk."""
    return "wecom" if "weixin" in url or "wecom" in url else "dingtalk"


def payload(alert: Alert, kind: str) -> dict:
    """The robot message: the two robots take markdown in different envelopes."""
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": alert.text}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": alert.text}}
    raise ValueError(f"unknown webhook format {kind!r}")


def post(webhook: Webhook, alert: Alert) -> str:
    """POST one alert; returns '' on success, else what went wrong (never raises)."""
    body = json.dumps(payload(alert, webhook.format), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        webhook.url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            answer = reply.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        return mask(f"{type(error).__name__}: {error}", {WEBHOOK_ENV: webhook.url})
    try:  # both robots answer HTTP 200 with {"errcode": 0, ...}; anything else is a failure
        code = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        code = 0
    return "" if code == 0 else mask(f"robot answered {answer[:200]}", {WEBHOOK_ENV: webhook.url})


def notify(
    home: Home, alerts: Iterable[Alert], webhook: Webhook | None = None, env: dict[str, str] | None = None
) -> list[Alert]:
    """Append every alert to <home>/alerts.log (one JSON object a line) and POST it if configured.

    Secrets are masked in what is logged and sent; a malformed webhook is logged, never raised."""
    alerts = list(alerts)
    if not alerts:
        return alerts
    misconfigured = ""
    try:
        webhook = webhook or Webhook.from_env(env)
    except (SecretSettingError, ValueError) as error:
        webhook, misconfigured = None, mask(str(error), env)
    log = home.root / ALERTS_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    for alert in alerts:
        alert = Alert(**json.loads(mask(json.dumps(asdict(alert), ensure_ascii=False), env)))
        record = asdict(alert)
        if misconfigured:
            record["webhook"] = {"delivered": False, "error": misconfigured}
        if webhook is not None:
            error = post(webhook, alert)
            record["webhook"] = {"format": webhook.format, "delivered": not error, "error": error}
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return alerts


def read_log(home: Home) -> list[dict]:
    """Every alert recorded in a home, oldest first."""
    log = home.root / ALERTS_LOG
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def alerts_for_run(instance: dg.DagsterInstance, run_id: str) -> list[Alert]:
    """The alerts one finished run calls for: its failure, and every failed asset check."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return []
    alerts = []
    if run.status == dg.DagsterRunStatus.FAILURE:
        failures = []
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
            error = entry.dagster_event.event_specific_data.error
            while error is not None and error.cause is not None:  # the user's error, not Dagster's wrapper
                error = error.cause
            message = (error.message if error else "").strip().splitlines()
            failures.append({"step": entry.dagster_event.step_key, "error": message[0][:300] if message else ""})
        lines = [f"- **{f['step']}**: {f['error']}" for f in failures] or ["- (no step failed: the run itself did)"]
        alerts.append(
            Alert(
                kind="run_failure",
                run_id=run_id,
                job=run.job_name,
                title=f"wuxing 运行失败 run failed: {run.job_name}",
                text="\n".join(
                    [
                        f"### wuxing 运行失败 / run failed: {run.job_name}",
                        f"run `{run_id}`；发布库保持上次结果 / the published marts are unchanged",
                        now_text(),
                        "",
                        *lines,
                    ]
                ),
                details=failures,
            )
        )
    failed_checks = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        failed_checks.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "severity": evaluation.severity.value,
                "description": evaluation.description or "",
            }
        )
    if failed_checks:
        lines = [
            f"- [{c['severity']}] {c['asset']} · **{c['check']}** {c['description']}".rstrip()
            for c in failed_checks[:30]
        ]
        if len(failed_checks) > 30:
            lines.append(f"- … {len(failed_checks) - 30} more")
        alerts.append(
            Alert(
                kind="check_failure",
                run_id=run_id,
                job=run.job_name,
                title=f"wuxing 检查未通过 {len(failed_checks)} checks failed",
                text="\n".join(
                    [
                        f"### wuxing 检查未通过 / {len(failed_checks)} asset check(s) failed",
                        f"run `{run_id}` ({run.job_name})",
                        now_text(),
                        "",
                        *lines,
                    ]
                ),
                details=failed_checks,
            )
        )
    return alerts
