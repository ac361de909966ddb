"""A fork server for the reliability suite: imports wuxing once, then forks one child per run.

Each child is a real wuxing run (the CLI's own code paths) in its own process group, so a test
can `kill -9` it, dbt included, without paying for Python's imports every time. Protocol: one
JSON object a line on stdin ({"op": "start", ...} or {"op": "wait", "pid": n}), one reply a line.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sys

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

import great_expectations  # noqa: E402,F401 - imported once here, shared by every child

from orchestration.cli import run_pipeline  # noqa: E402
from orchestration.definitions import build_definitions  # noqa: E402
from orchestration.defs.constants import HOST_TAG, LAUNCHED_BY_TAG, PID_TAG  # noqa: E402
from orchestration.home import Home  # noqa: E402
from orchestration.instance import instance_for, reap_dead_runs  # noqa: E402
from orchestration.publish import publish  # noqa: E402


def step_keys(names: list[str]) -> list:
    """Asset keys of the named nightly steps: ingest, quality, dbt (the reference models), plan, publish."""
    from orchestration.defs.dbt import dbt_reference_models
    from orchestration.defs.ingest import archived_returns
    from orchestration.defs.periods import period_plan
    from orchestration.defs.publish import published_marts
    from orchestration.defs.quality import validated_returns

    assets = {
        "ingest": archived_returns,
        "quality": validated_returns,
        "dbt": dbt_reference_models,
        "plan": period_plan,
        "publish": published_marts,
    }
    return [key for name in names for key in assets[name].keys]


def run_steps(home: Home, names: list[str]) -> bool:
    """A nightly run of the named steps only, tagged as `wuxing run` tags its runs, after the same
    reaping of dead runs."""
    definitions = build_definitions(home)
    instance = instance_for(home)
    reap_dead_runs(instance)
    tags = {LAUNCHED_BY_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    return (
        definitions.resolve_job_def("nightly")
        .execute_in_process(instance=instance, raise_on_error=False, tags=tags, asset_selection=step_keys(names))
        .success
    )


def _child(command: dict) -> int:
    """What a forked child runs; its exit status is 0 on success."""
    os.setpgid(0, 0)
    log = os.open(command["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(command.get("env", {}))
    if command.get("fsize"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (command["fsize"], command["fsize"]))
    home = Home.resolve(command["home"]).ensure()
    target = command["target"]
    if target == "run":
        return 0 if run_pipeline(home) else 1
    if target == "fn:publish":  # the function alone: writes nothing but the published folder
        publish(home)
        return 0
    return 0 if run_steps(home, target.split(",")) else 1


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "start":
            pid = os.fork()
            if pid == 0:
                status = 1
                try:
                    status = _child(command)
                except BaseException:  # noqa: BLE001 - reported by the exit status and the log
                    import traceback

                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(status)
            reply = {"pid": pid}
        else:
            _, status = os.waitpid(command["pid"], 0)
            reply = {"status": os.waitstatus_to_exitcode(status)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
