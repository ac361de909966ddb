"""Production: instance storage on a real PostgreSQL server, `wuxing serve`, and a run killed with
SIGKILL midway that leaves the published marts exactly as they were."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from orchestration.instance import POSTGRES_ENV, instance_for
from tests.ops_helpers import copy_home, drop_resubmission, free_port, wait_for


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL cluster in a temp dir on a free localhost port, owned by a non-root user."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): install Debian's postgresql "
            "package (scripts/ci-system-deps.sh does, as root)"
        )
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None:
            pytest.skip("running as root and no unprivileged user to own the PostgreSQL cluster")
        prefix = ["runuser", "-u", user, "--"]
    root = Path(tempfile.mkdtemp(prefix="wuxing-pg-"))
    os.chmod(root, 0o777)
    data, port = root / "data", free_port()
    if prefix:
        shutil.chown(root, user=prefix[2])

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "wuxing")
        yield f"postgresql://postgres@127.0.0.1:{port}/wuxing"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.mark.slow
@pytest.mark.postgres
def test_runs_are_stored_in_postgres_when_configured(demo_run, tmp_path, monkeypatch, postgres_url):
    import psycopg2

    from orchestration.cli import run_pipeline

    home = copy_home(demo_run.home, tmp_path / "home")
    monkeypatch.setenv(POSTGRES_ENV, postgres_url)
    instance = instance_for(home)
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert instance.get_runs() == []  # the SQLite history of the copied home is not read
    assert run_pipeline(home)
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.SUCCESS and run.job_name == "nightly"
    with psycopg2.connect(postgres_url) as con, con.cursor() as cur:
        cur.execute("select run_id, status from runs")
        assert cur.fetchall() == [(run.run_id, "SUCCESS")]
        cur.execute("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert cur.fetchone()[0] >= 30  # ingest, quality, every dbt node, publish
    assert instance.get_latest_materialization_event(dg.AssetKey("published_marts")) is not None


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_starts_webserver_and_daemon_on_postgres_and_stops_on_sigterm(tmp_path, postgres_url):
    port = free_port()
    env = {**os.environ, POSTGRES_ENV: postgres_url}
    wuxing = Path(sys.executable).with_name("wuxing")
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [str(wuxing), "serve", "--home", str(tmp_path / "home"), "--port", str(port)],
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
                    return b"dagster_webserver_version" in reply.read()
            except OSError:
                return process.poll() is not None

        wait_for(up, 180, 1, what="the webserver")
        assert process.poll() is None, log.read_text()[-3000:]
        saved = os.environ.get(POSTGRES_ENV)
        os.environ[POSTGRES_ENV] = postgres_url
        try:
            from orchestration.home import Home

            instance = instance_for(Home.resolve(tmp_path / "home"))
            beats = wait_for(
                lambda: (
                    {h.daemon_type for h in instance.get_daemon_heartbeats().values()} >= {"SENSOR", "SCHEDULER"}
                    and instance.get_daemon_heartbeats()
                ),
                120,
                2,
                what="daemon heartbeats in PostgreSQL",
            )
            assert {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= set(beats)
        finally:
            os.environ.pop(POSTGRES_ENV, None)
            if saved is not None:
                os.environ[POSTGRES_ENV] = saved
        assert "instance storage postgres" in log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()[-3000:]


@pytest.mark.slow
def test_run_killed_midway_leaves_published_marts_and_next_run_completes(demo_run, tmp_path):
    from orchestration.cli import run_pipeline

    home = copy_home(demo_run.home, tmp_path / "home")
    published = home.published / "wuxing.duckdb"
    before = (published.read_bytes(), (home.published / "parquet").readlink())
    rankings = demo_run.query("select * from marts.mart_unit_rankings order by all")
    # New work so the run has something to score: a corrected return under a new name.
    name = drop_resubmission(demo_run, home.landing)

    wuxing = Path(sys.executable).with_name("wuxing")
    process = subprocess.Popen(
        [str(wuxing), "run", "--home", str(home.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    instance = instance_for(home)
    known = {r.run_id for r in demo_run_runs(instance)}

    def dbt_running():
        for run in demo_run_runs(instance):
            if run.run_id in known:
                continue
            steps = {
                e.dagster_event.step_key for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            }
            if any("dbt" in step for step in steps):
                return run
        return process.poll() is not None and "exited"

    run = wait_for(dbt_running, 180, 0.5, what="the dbt step to start")
    assert run != "exited", "the run finished before it could be killed"
    time.sleep(3)  # dbt is writing the warehouse now
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # nobody recorded the end
    assert (published.read_bytes(), (home.published / "parquet").readlink()) == before

    # The next run marks the dead one failed, frees the warehouse pool, and completes.
    assert run_pipeline(home)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert (home.published / "parquet").readlink() != before[1]
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select * from marts.mart_unit_rankings order by all").fetchall() == rankings
        statuses = dict(con.execute("select file_name, status from marts.mart_return_log").fetchall())
    assert statuses[name] == "accepted"


def demo_run_runs(instance):
    return instance.get_runs()
