"""Production mode as the office uses it: `wuxing serve` (webserver + daemon) on a copy of the demo
home; a return dropped into landing/ starts a run through the sensor; a `wuxing run` started at the
same moment waits for the warehouse pool instead of failing on the DuckDB lock; then headless
Chromium opens the asset catalogue, the checks and the automation page, and keeps screenshots in
test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.periods import planned_ranges
from orchestration.home import Home
from orchestration.instance import instance_for
from orchestration.periods import plan, unfinished_periods
from tests.ops_helpers import copy_home, drop_resubmission, free_port, wait_for

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium(
    url: str, profile: Path, screenshot: Path | None = None, budget_ms: int = 20000, height: int = 4000
) -> str:
    """The page's DOM after it rendered (virtual time), and a screenshot if asked. The DOM is read
    in a tall window: the catalogue renders only the rows in view."""
    args = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}"]
    if screenshot is not None:
        subprocess.run(
            [*args, "--window-size=1600,1000", f"--screenshot={screenshot}", url],
            capture_output=True,
            timeout=120,
            check=False,
        )
    out = subprocess.run(
        [*args, f"--window-size=1600,{height}", "--dump-dom", url],
        capture_output=True,
        timeout=120,
        text=True,
        check=False,
    )
    return out.stdout


def _serve(home: Home, port: int) -> subprocess.Popen:
    wuxing = Path(sys.executable).with_name("wuxing")
    log = open(home.root / "serve.log", "wb")
    return subprocess.Popen(
        [str(wuxing), "serve", "--home", str(home.root), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _server_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
            return b"dagster_webserver_version" in reply.read()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ci-system-deps.sh)")
def test_sensor_runs_a_new_return_and_the_ui_shows_assets_checks_and_schedule(demo_run, tmp_path):
    from orchestration.cli import run_pipeline

    home = copy_home(demo_run.home, tmp_path / "home")
    port = free_port()
    server = _serve(home, port)
    try:
        wait_for(lambda: _server_up(port) or server.poll() is not None, 180, what="the webserver")
        assert server.poll() is None, (home.root / "serve.log").read_text()[-3000:]
        instance = instance_for(home)
        known = {r.dagster_run.run_id for r in instance.get_run_records()}

        # A unit drops a corrected return: an archived accepted one under a new name and bytes.
        dropped_at = time.monotonic()
        name = drop_resubmission(demo_run, home.landing)

        def sensor_run():
            runs = [
                r.dagster_run
                for r in instance.get_run_records()
                if r.dagster_run.run_id not in known and r.dagster_run.tags.get("wuxing/trigger") == "new_return"
            ]
            return runs[0] if runs else None

        run = wait_for(sensor_run, 150, 1, what="a run started by new_return_sensor")
        latency = time.monotonic() - dropped_at
        print(f"\nsensor latency: {latency:.1f} s (file dropped -> run created)")
        assert latency < 120

        # Meanwhile the office runs `wuxing run` by hand: it must wait for the pool, not fail.
        cli_result = {}
        cli = threading.Thread(target=lambda: cli_result.setdefault("ok", run_pipeline(home)))
        cli.start()
        finished = wait_for(
            lambda: (r := instance.get_run_by_id(run.run_id)) and r.is_finished and r,
            300,
            2,
            what="the sensor's run to finish",
        )
        cli.join(timeout=300)
        assert finished.status == dg.DagsterRunStatus.SUCCESS, (home.root / "serve.log").read_text()[-3000:]
        assert cli_result == {"ok": True}
        print(f"sensor run finished {time.monotonic() - dropped_at:.1f} s after the drop")
        assert not any(home.landing.iterdir())
        with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
            assert con.execute("select status from marts.mart_return_log where file_name = ?", [name]).fetchall() == [
                ("accepted",)
            ]
        # Then the stale periods are scored: by the daemon (score_changed_periods, after the sensor's
        # run) or by `wuxing run`, whichever intake archived the file first; both queue for the pool.
        period = name.split("_")[1]
        intakes = [
            r.dagster_run.run_id
            for r in instance.get_run_records(dg.RunsFilter(job_name="nightly"))
            if r.dagster_run.run_id not in known
        ]
        planned = {run_id: planned_ranges(instance, run_id) for run_id in intakes}
        assert set(map(tuple, filter(None, planned.values()))) == {((period, period[:4]),)}  # 2024Q4 + 2024

        def daemon_scoring():
            runs = [
                r.dagster_run
                for r in instance.get_run_records()
                if r.dagster_run.tags.get("wuxing/after_run") == run.run_id
            ]
            done = len(runs) == len(planned[run.run_id]) and all(r.is_finished for r in runs)
            return (runs,) if done else None  # none at all when `wuxing run` scored first

        (scoring,) = wait_for(daemon_scoring, 420, 2, what="the scoring runs asked for by score_changed_periods")
        assert all(r.job_name == "score_periods" and r.status == dg.DagsterRunStatus.SUCCESS for r in scoring)
        assert [
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in scoring
        ] == planned[run.run_id]
        print(f"periods scored {time.monotonic() - dropped_at:.1f} s after the drop")
        assert unfinished_periods(home.warehouse) == []
        with duckdb.connect(str(home.warehouse)) as con:
            assert plan(con).reasons == {}  # nothing left stale
        # One file, one run: the ticks since (at least one more, 30 s apart) started nothing more.
        time.sleep(max(0.0, 35 - (time.monotonic() - dropped_at - latency)))
        assert [
            r.dagster_run.run_id
            for r in instance.get_run_records()
            if r.dagster_run.tags.get("wuxing/trigger") == "new_return" and r.dagster_run.run_id not in known
        ] == [run.run_id]
        assert len(
            [r for r in instance.get_run_records() if r.dagster_run.tags.get("wuxing/after_run") == run.run_id]
        ) == len(planned[run.run_id])

        ARTIFACTS.mkdir(exist_ok=True)
        base = f"http://127.0.0.1:{port}"
        catalogue = chromium(
            f"{base}/assets", tmp_path / "profile1", ARTIFACTS / "ui-asset-catalogue.png", height=16000
        )  # two-line rows (descriptions): the whole list in view
        for asset in ("archived_returns", "validated_returns", "published_marts", "mart_unit_rankings"):
            assert asset in catalogue, f"{asset} not in the asset catalogue"
        checks = chromium(
            f"{base}/assets/validated_returns?view=checks",
            tmp_path / "profile2",
            ARTIFACTS / "ui-validated-returns-checks.png",
        )
        assert "unit_return" in checks and "evaluation_return" in checks
        published = chromium(f"{base}/assets/published_marts?view=checks", tmp_path / "profile3")
        assert "freshness_check" in published
        overview = chromium(
            f"{base}/assets/published_marts", tmp_path / "profile5", ARTIFACTS / "ui-published-marts.png"
        )
        for text in ("returns_superseded", "ranking_head", "periods_scored_in_run", "score_periods"):
            assert text in overview, f"{text} not on the published_marts page"
        partitions = chromium(
            f"{base}/assets/marts/mart_unit_rankings?view=partitions",
            tmp_path / "profile6",
            ARTIFACTS / "ui-rankings-partitions.png",
        )
        assert period in partitions and "2027Q4" in partitions, "period partitions not shown"
        automation = chromium(f"{base}/automation", tmp_path / "profile4", ARTIFACTS / "ui-automation.png")
        for automation_name in (
            "nightly_at_0200",
            "new_return_sensor",
            "score_changed_periods",
            "alert_on_run_failure",
        ):
            assert automation_name in automation, f"{automation_name} not on the automation page"
        assert (ARTIFACTS / "ui-asset-catalogue.png").stat().st_size > 10_000
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0  # SIGTERM stops the webserver and the daemon cleanly
