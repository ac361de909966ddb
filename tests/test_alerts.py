"""Alerts: the log in the home folder, DingTalk and WeCom robot messages, a failing run end to end."""

from __future__ import annotations

import json

import pytest

from orchestration import alerts
from orchestration.home import Home
from tests.ops_helpers import RecordingWebhook, free_port

ALERT = alerts.Alert(
    kind="run_failure",
    title="wuxing 运行失败 run failed: nightly",
    text="### wuxing 运行失败\n- **validated_returns**: boom",
    run_id="r1",
    job="nightly",
)


def test_dingtalk_and_wecom_messages_have_their_own_envelopes():
    assert alerts.payload(ALERT, "dingtalk") == {
        "msgtype": "markdown",
        "markdown": {"title": ALERT.title, "text": ALERT.text},
    }
    assert alerts.payload(ALERT, "wecom") == {"msgtype": "markdown", "markdown": {"content": ALERT.text}}
    with pytest.raises(ValueError):
        alerts.payload(ALERT, "slack")


def test_webhook_settings_come_from_the_environment():
    assert alerts.Webhook.from_env({}) is None
    dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=x"
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
    assert alerts.Webhook.from_env({alerts.WEBHOOK_ENV: dingtalk}).format == "dingtalk"
    assert alerts.Webhook.from_env({alerts.WEBHOOK_ENV: wecom}).format == "wecom"
    assert alerts.Webhook.from_env({alerts.WEBHOOK_ENV: dingtalk, alerts.FORMAT_ENV: "WeCom"}).format == "wecom"
    with pytest.raises(ValueError):
        alerts.Webhook.from_env({alerts.WEBHOOK_ENV: dingtalk, alerts.FORMAT_ENV: "email"})


@pytest.mark.parametrize("kind", ["dingtalk", "wecom"])
def test_alert_is_logged_and_posted_to_a_local_robot(tmp_path, kind):
    home = Home.resolve(tmp_path).ensure()
    with RecordingWebhook() as robot:
        alerts.notify(home, [ALERT], env={alerts.WEBHOOK_ENV: robot.url, alerts.FORMAT_ENV: kind})
    (body,) = robot.bodies
    assert body["json"] == alerts.payload(ALERT, kind)
    assert body["content_type"].startswith("application/json")
    (logged,) = alerts.read_log(home)
    assert logged["kind"] == "run_failure" and logged["run_id"] == "r1"
    assert logged["webhook"] == {"format": kind, "delivered": True, "error": ""}


def test_unreachable_or_refusing_robot_is_logged_never_raised(tmp_path):
    home = Home.resolve(tmp_path).ensure()
    down = f"http://127.0.0.1:{free_port()}/robot"  # nothing listens there
    alerts.notify(home, [ALERT], env={alerts.WEBHOOK_ENV: down})
    with RecordingWebhook(answer={"errcode": 310000, "errmsg": "keywords not in content"}) as robot:
        alerts.notify(home, [ALERT], env={alerts.WEBHOOK_ENV: robot.url})
    unreachable, refused = alerts.read_log(home)
    assert not unreachable["webhook"]["delivered"] and "Error" in unreachable["webhook"]["error"]
    assert not refused["webhook"]["delivered"] and "310000" in refused["webhook"]["error"]
    assert alerts.notify(home, [], env={}) == [] and len(alerts.read_log(home)) == 2


def test_failed_run_alerts_through_the_cli_path(tmp_path, monkeypatch):
    """`wuxing run` with a step that fails: the alert names the step and reaches the robot."""
    import orchestration.defs.quality as quality
    from orchestration.cli import run_pipeline

    def broken_intake(home, reference):
        raise RuntimeError("warehouse disk full (simulated)")

    monkeypatch.setattr(quality, "intake", broken_intake)
    home = Home.resolve(tmp_path).ensure()
    with RecordingWebhook() as robot:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, robot.url)
        monkeypatch.setenv(alerts.FORMAT_ENV, "dingtalk")
        assert run_pipeline(home) is False
    (logged,) = [a for a in alerts.read_log(home) if a["kind"] == "run_failure"]
    assert [d["step"] for d in logged["details"]] == ["validated_returns"]
    assert "warehouse disk full" in logged["details"][0]["error"]
    (posted,) = [b["json"] for b in robot.bodies if "运行失败" in b["json"]["markdown"]["title"]]
    assert "validated_returns" in posted["markdown"]["text"]
    assert not (home.published / "wuxing.duckdb").exists()


def test_demo_run_logged_the_rejected_returns_as_failed_checks(demo_run):
    """The demo's five bad returns fail the GX suite checks (WARN): one check_failure alert."""
    logged = alerts.read_log(demo_run.home)
    failures = [a for a in logged if a["kind"] == "check_failure"]
    assert failures, json.dumps(logged, ensure_ascii=False)[:500]
    checks = {(d["asset"], d["check"], d["severity"]) for d in failures[0]["details"]}
    assert ("validated_returns", "unit_return", "WARN") in checks
    assert not [a for a in logged if a["kind"] == "run_failure"]
