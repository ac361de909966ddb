"""Operations: the new-return sensor, run keys, retries, checks and their severity, the instance."""

from __future__ import annotations

import json
import os
import time

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs import automation
from orchestration.defs.ingest import INGEST_RETRY, archived_returns
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.instance import MANAGED, POSTGRES_ENV, dagster_yaml, write_instance_config


def _drop(home: Home, name: str, data: bytes, age: float = 60) -> None:
    path = home.landing / name
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))


def _tick(home: Home, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources={"wuxing": WuxingHome(root=str(home.root))})
    result = automation.new_return_sensor(context)
    return result, context.cursor


def test_sensor_requests_one_run_per_new_file_and_never_two(tmp_path):
    home = Home.resolve(tmp_path).ensure()
    result, cursor = _tick(home, None)
    assert isinstance(result, dg.SkipReason)

    _drop(home, "360124_2024Q4_a.csv", b"a")
    _drop(home, "360100_2024Q4_b.xlsx", b"b")
    _drop(home, ".hidden.csv", b"h")
    _drop(home, "~$lock.xlsx", b"l")
    _drop(home, "copying.csv.part", b"p")
    first, cursor = _tick(home, cursor)
    assert isinstance(first, dg.RunRequest) and first.run_key.startswith("landing-")
    assert json.loads(first.tags["wuxing/files"]) == ["360124_2024Q4_a.csv", "360100_2024Q4_b.xlsx"]

    # The run has not archived them yet: later ticks start nothing for the same files.
    again, cursor = _tick(home, cursor)
    assert isinstance(again, dg.SkipReason)

    # A new file starts a run of its own (a different run key) while the old ones wait.
    _drop(home, "360121_2024Q4_c.csv", b"c")
    second, cursor = _tick(home, cursor)
    assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key
    assert json.loads(second.tags["wuxing/files"]) == ["360121_2024Q4_c.csv"]

    # Same content under another name: no second run (the run key is the content's).
    _drop(home, "360121_2024Q4_c_copy.csv", b"c")
    assert isinstance(_tick(home, cursor)[0], dg.SkipReason)

    # Once archived, the files leave the cursor; identical bytes dropped later are a new drop.
    for path in home.landing.iterdir():
        path.unlink()
    _, cursor = _tick(home, cursor)
    assert json.loads(cursor) == []
    _drop(home, "360124_2024Q4_a.csv", b"a")
    assert _tick(home, cursor)[0].run_key == automation.run_key([("x", __import__("hashlib").sha256(b"a").hexdigest())])


def test_sensor_waits_for_a_file_still_being_copied(tmp_path):
    home = Home.resolve(tmp_path).ensure()
    _drop(home, "360124_2024Q4_a.csv", b"half", age=0)
    fresh, cursor = automation.new_returns(home, None, settle_seconds=5)
    assert fresh == [] and json.loads(cursor) == []
    fresh, _ = automation.new_returns(home, cursor, settle_seconds=5, now=time.time() + 6)
    assert [name for name, _ in fresh] == ["360124_2024Q4_a.csv"]


def test_automation_is_on_by_default_and_targets_the_nightly_job(tmp_path):
    defs = build_definitions(Home.resolve(tmp_path))
    assert defs.resolve_schedule_def("nightly_at_0200").default_status == dg.DefaultScheduleStatus.RUNNING
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {
        "new_return_sensor",
        "score_changed_periods",
        "published_marts_freshness",
        "alert_on_run_failure",
        "alert_on_check_failure",
        "rescore_after_period_decision",
    }
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    assert sensors["new_return_sensor"].job_name == "nightly"
    assert sensors["score_changed_periods"].job_name == "score_periods"  # after each nightly run
    assert sensors["new_return_sensor"].minimum_interval_seconds <= 60  # a run within two minutes


def test_check_severity_matches_what_blocks_publishing(tmp_path):
    """dbt tests of severity error are blocking checks (a failure stops publish); warn ones are not;
    GX suite checks and the freshness check only warn."""
    from orchestration.defs.dbt import dbt_project

    defs = build_definitions(Home.resolve(tmp_path))
    graph = defs.resolve_asset_graph()
    manifest = json.loads(dbt_project.manifest_path.read_text())
    dbt_tests = {
        n["name"]: n["config"].get("severity", "error").lower()
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
    }
    specs = {}
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        specs[key.name] = spec
    assert len(dbt_tests) >= 100
    attached = {name: sev for name, sev in dbt_tests.items() if name in specs}
    assert len(attached) >= 0.9 * len(dbt_tests)  # nearly every dbt test is a check in the UI
    for name, severity in attached.items():
        assert specs[name].blocking == (severity == "error"), name
    for name in ("unit_return", "evaluation_return", "freshness_check"):
        assert not specs[name].blocking
    # Between them the two jobs run every check but freshness (evaluated by its own sensor after
    # publishing): nightly those of intake and reference models, score_periods those of the scores.
    in_jobs = {
        key.name
        for job in ("nightly", "score_periods")
        for key in defs.resolve_job_def(job).asset_layer.asset_graph.asset_check_keys
    }
    assert {key.name for key in graph.asset_check_keys} - in_jobs == {"freshness_check"}


def test_freshness_check_flags_published_marts_older_than_26_hours(tmp_path):
    (checks_def,) = automation.freshness_checks
    (key,) = checks_def.check_keys
    assert key.asset_key == dg.AssetKey("published_marts")
    instance = dg.DagsterInstance.ephemeral()
    now = time.time()
    instance.report_runless_asset_event(dg.AssetMaterialization("published_marts"))
    fresh = dg.materialize(
        [checks_def], instance=instance, selection=dg.AssetSelection.checks(key), raise_on_error=False
    )
    (fresh_eval,) = fresh.get_asset_check_evaluations()
    assert fresh_eval.passed
    assert fresh_eval.metadata["dagster/fresh_until_timestamp"].value == pytest.approx(now + 26 * 3600, abs=120)
    stale = dg.DagsterInstance.ephemeral()
    stale.report_runless_asset_event(dg.AssetMaterialization("published_marts"))
    stale_record = stale.get_latest_materialization_event(dg.AssetKey("published_marts"))
    from unittest import mock

    with mock.patch(
        "dagster._core.definitions.asset_checks.asset_check_factories.freshness_checks."
        "last_update.get_current_timestamp",
        return_value=stale_record.timestamp + 27 * 3600,
    ):
        late = dg.materialize(
            [checks_def], instance=stale, selection=dg.AssetSelection.checks(key), raise_on_error=False
        )
    (late_eval,) = late.get_asset_check_evaluations()
    assert not late_eval.passed and late_eval.severity == dg.AssetCheckSeverity.WARN


def test_ingest_retries_a_transient_file_system_error_with_backoff(tmp_path, monkeypatch):
    import orchestration.defs.ingest as ingest
    from orchestration.returns.archive import archive_landing

    assert INGEST_RETRY.max_retries >= 2 and INGEST_RETRY.backoff == dg.Backoff.EXPONENTIAL
    calls = []

    def flaky(home):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise PermissionError(13, "file in use by the copier (simulated)")
        return archive_landing(home)

    monkeypatch.setattr(ingest, "archive_landing", flaky)
    home = Home.resolve(tmp_path).ensure()
    _drop(home, "360124_2024Q4_a.csv", b"a")
    result = dg.materialize(
        [archived_returns],
        resources={"wuxing": WuxingHome(root=str(home.root))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success and len(calls) == 2
    assert calls[1] - calls[0] >= INGEST_RETRY.delay * 0.9  # waited before retrying
    (materialization,) = result.asset_materializations_for_node("archived_returns")
    assert materialization.metadata["attempt"].value == 2
    assert materialization.metadata["new_files"].value == 1
    assert not any(home.landing.iterdir())


def test_instance_config_is_sqlite_by_default_and_postgres_when_configured(tmp_path):
    home = Home.resolve(tmp_path).ensure()
    write_instance_config(home, env={})
    text = (home.dagster_home / "dagster.yaml").read_text()
    assert text.startswith(MANAGED) and "postgres" not in text and "default_limit: 1" in text
    write_instance_config(home, env={POSTGRES_ENV: "postgresql://u@127.0.0.1:1/db"})
    text = (home.dagster_home / "dagster.yaml").read_text()
    assert text == dagster_yaml(postgres=True)
    assert f"env: {POSTGRES_ENV}" in text and "127.0.0.1:1" not in text  # the secret stays in the env
    own = "telemetry:\n  enabled: false\n"
    (home.dagster_home / "dagster.yaml").write_text(own)
    write_instance_config(home, env={})
    assert (home.dagster_home / "dagster.yaml").read_text() == own  # a hand-edited file is kept
