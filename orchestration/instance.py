"""The Dagster instance of a home folder: run history shared by the CLI, the UI and the schedule.

Storage is SQLite under <home>/dagster by default. When `WUXING_POSTGRES_URL` is set (e.g.
`postgresql://wuxing:secret@db.example:5432/wuxing`), runs, events and schedules are stored in
PostgreSQL instead; the URL stays in the environment and is never written to dagster.yaml.

wuxing rewrites <home>/dagster/dagster.yaml while its first line is the `MANAGED` marker; delete
that line to keep a hand-edited file.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from orchestration.home import Home
from orchestration.secrets import POSTGRES_ENV

MANAGED = "# Managed by wuxing (rewritten on every start); delete this line to keep your own edits."

OLD_MARKER = "# Written by wuxing on first use"  # homes made before the marker above

BASE_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false  # no "join the community" pop-up on the office's unattended UI
concurrency:
  pools:
    # Steps that write the DuckDB warehouse share the pool `duckdb_warehouse`: one at a time,
    # across every run (schedule, sensor, UI, `wuxing run`); others wait, never fail on a lock.
    default_limit: 1
run_monitoring:
  enabled: true
  # Pool slots of a run that ended (or was marked failed) are freed after this long.
  free_slots_after_run_end_seconds: 30
"""

POSTGRES_YAML = f"""\
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_ENV}
"""


def dagster_yaml(postgres: bool) -> str:
    """The instance configuration wuxing writes."""
    return "\n".join([MANAGED, BASE_YAML + (POSTGRES_YAML if postgres else "")])


def storage_kind(env: dict[str, str] | None = None) -> str:
    """`postgres` when WUXING_POSTGRES_URL is set, else `sqlite`."""
    env = os.environ if env is None else env
    return "postgres" if env.get(POSTGRES_ENV, "").strip() else "sqlite"


def write_instance_config(home: Home, env: dict[str, str] | None = None) -> None:
    """Write <home>/dagster/dagster.yaml for the configured storage, unless the user owns it."""
    config = home.dagster_home / "dagster.yaml"
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    if config.exists() and not config.read_text(encoding="utf-8").startswith((MANAGED, OLD_MARKER)):
        return
    text = dagster_yaml(storage_kind(env) == "postgres")
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        tmp = config.with_name("dagster.yaml.part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, config)


def psycopg2_url(url: str) -> str:
    """SQLAlchemy 2.1 maps a bare postgresql:// URL to psycopg 3; dagster-postgres ships psycopg2."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def instance_for(home: Home) -> dg.DagsterInstance:
    """The persistent Dagster instance of a home (SQLite, or PostgreSQL when configured).

    A plain `postgresql://` URL in WUXING_POSTGRES_URL is rewritten in this process's environment
    (inherited by the webserver, the daemon and run workers) to name the psycopg2 driver.
    """
    if os.environ.get(POSTGRES_ENV, "").strip():
        os.environ[POSTGRES_ENV] = psycopg2_url(os.environ[POSTGRES_ENV].strip())
    write_instance_config(home)
    return dg.DagsterInstance.from_config(str(home.dagster_home))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark runs whose process died (SIGKILL, power cut) as failed and free their pool slots.

    Only runs executing on this host that recorded their process id (`wuxing/pid`, set by the
    first step) are judged; without this, a killed run would hold the warehouse pool forever.
    """
    from orchestration.defs.constants import HOST_TAG, PID_TAG

    host, reaped = socket.gethostname(), []
    records = instance.get_run_records(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]
        )
    )
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if run.tags.get(HOST_TAG) != host or not pid or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, "运行进程已退出 / the process running this run died")
        reaped.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        finished = (
            {
                r.dagster_run.run_id
                for r in instance.get_run_records(
                    dg.RunsFilter(
                        run_ids=list(storage.get_concurrency_run_ids()),
                        statuses=[
                            dg.DagsterRunStatus.FAILURE,
                            dg.DagsterRunStatus.CANCELED,
                            dg.DagsterRunStatus.SUCCESS,
                        ],
                    )
                )
            }
            if storage.get_concurrency_run_ids()
            else set()
        )
        for run_id in finished:
            storage.free_concurrency_slots_for_run(run_id)
    return reaped
