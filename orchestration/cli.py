"""The `wuxing` command: demo, generate-demo, run, score, validate, template, ui and serve."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from orchestration.home import Home  # noqa: E402
from orchestration.secrets import SecretSettingError, check_settings, mask  # noqa: E402


def _home(args: argparse.Namespace) -> Home:
    return Home.resolve(args.home).ensure()


def cmd_generate_demo(args: argparse.Namespace) -> int:
    """Write the demo returns into landing/."""
    from orchestration.demo import generate_demo

    home = _home(args)
    manifest = generate_demo(home.landing, seed=args.seed)
    print(f"已生成演示填报文件 {len(manifest.files)} 个 / wrote {len(manifest.files)} demo returns "
          f"to {home.landing} (of which {len(manifest.bad_files)} deliberately bad)")
    return 0


def run_pipeline(home: Home) -> bool:
    """Run the nightly job once in this process, then score the periods its plan found stale;
    True on success.

    The same jobs, instance, pool and alerts as runs started by the schedule and the sensors:
    runs left behind by a killed process are marked failed first (freeing the warehouse pool), and
    a failed run or a failed asset check is written to the alerts log (and the webhook, if any).
    """
    from orchestration.definitions import build_definitions
    from orchestration.defs.periods import planned_ranges, scoring_tags
    from orchestration.instance import instance_for, reap_dead_runs

    definitions = build_definitions(home)
    instance = instance_for(home)
    for run_id in reap_dead_runs(instance):
        print(f"已将中断的运行标记为失败 / marked the interrupted run {run_id} as failed", file=sys.stderr)
    intake = _execute(home, instance, definitions.resolve_job_def("nightly"), {})
    if not intake.success:
        return False
    ranges = planned_ranges(instance, intake.run_id)
    if not ranges:
        print("各期次分数均为最新 / every period's scores are up to date")
    for start, end in ranges:
        print(f"重算期次 / scoring periods {start}..{end}")
        scoring = _execute(home, instance, definitions.resolve_job_def("score_periods"),
                           scoring_tags(start, end, intake.run_id))
        if not scoring.success:
            return False
    return True


def cmd_score(args: argparse.Namespace) -> int:
    """Re-score one period or a range of periods (a backfill) and publish; exit 1 on failure."""
    from orchestration.definitions import build_definitions
    from orchestration.defs.periods import scoring_tags
    from orchestration.instance import instance_for
    from orchestration.periods import partition_keys

    home = _home(args)
    end = args.end or args.start
    keys = partition_keys()
    for key in (args.start, end):
        if key not in keys:
            print(f"未知期次 / unknown period: {key} (例 e.g. 2024Q3, 或年度 or the year 2024)", file=sys.stderr)
            return 2
    if keys.index(end) < keys.index(args.start):
        print(f"期次范围颠倒 / the range ends before it starts: {args.start}..{end}", file=sys.stderr)
        return 2
    job = build_definitions(home).resolve_job_def("score_periods")
    if not _execute(home, instance_for(home), job, scoring_tags(args.start, end)).success:
        print("重算失败，发布库保持上次结果 / scoring failed; the published marts are unchanged", file=sys.stderr)
        return 1
    print_summary(home)
    return 0


def _execute(home: Home, instance, job, tags: dict[str, str]):
    """Execute one job in-process under the CLI's tags; print failed steps and send alerts."""
    from orchestration import alerts
    from orchestration.defs.ingest import HOST_TAG, PID_TAG

    tags = {**tags, alerts.LAUNCHED_BY_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    result = job.execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    for event in result.all_events:
        if event.is_step_failure:
            message = mask(event.event_specific_data.error.message.strip())
            print(f"步骤失败 / step failed: {event.step_key}: {message}", file=sys.stderr)
    for alert in alerts.notify(home, alerts.alerts_for_run(instance, result.run_id)):
        print(f"告警 / alert: {alert.title} → {home.root / alerts.ALERTS_LOG}", file=sys.stderr)
    return result


def print_summary(home: Home) -> None:
    """The head of each peer group's ranking in the latest period, and where the marts are."""
    from orchestration.publish import PARQUET_LINK, PUBLISHED_DB, ranking_head, return_counts

    database = home.published / PUBLISHED_DB
    period, rows = ranking_head(database)
    log = return_counts(database)
    print(f"\n{period} 各组排名前三 / top three of each peer group")
    group = None
    for peer_group, rank, unit, score, grade, light in rows:
        if peer_group != group:
            group = peer_group
            print(f"  {peer_group}")
        print(f"    {rank:>2}. {unit:<16} {score:7.2f}  {grade} {light}")
    print("\n收文 / returns: " + ", ".join(f"{k} {v}" for k, v in log.items()))
    print(f"发布库 / published DuckDB: {database}")
    print(f"Parquet: {home.published / PARQUET_LINK}")
    print(f"退回文件与通知 / quarantine: {home.quarantine}")


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline once; exit 1 if any step failed."""
    home = _home(args)
    if not run_pipeline(home):
        print("运行失败，发布库保持上次结果 / run failed; the published marts are unchanged", file=sys.stderr)
        return 1
    print_summary(home)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo returns and run the whole pipeline once."""
    cmd_generate_demo(args)
    return cmd_run(args)


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the verdict and notice for one file without ingesting it; exit 1 if rejected."""
    from orchestration.reference import Reference
    from orchestration.returns.intake import check_file

    path = Path(args.file)
    if not path.is_file():
        print(f"找不到文件 / no such file: {path}", file=sys.stderr)
        return 2
    verdict, notice = check_file(_home(args), Reference.load(), path.name, path.read_bytes())
    print(notice, end="")
    return 0 if verdict.status == "accepted" else 1


def cmd_template(args: argparse.Namespace) -> int:
    """Write a unit's or an evaluator's fill-in workbook for a period."""
    from orchestration.reference import Reference
    from orchestration.template import write_template

    out = Path(args.out or f"{args.unit}_{args.period}_填报模板.xlsx")
    try:
        path = write_template(out, args.unit, args.period, Reference.load())
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"已生成填报模板 / template written: {path}")
    return 0


def _dagster_env(home: Home) -> dict[str, str]:
    return {**os.environ, "WUXING_HOME": str(home.root), "DAGSTER_HOME": str(home.dagster_home)}


def cmd_ui(args: argparse.Namespace) -> int:
    """Start the Dagster UI (webserver and daemon) on 127.0.0.1 for this home (development)."""
    from orchestration.instance import instance_for

    home = _home(args)
    instance_for(home)
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "orchestration.definitions",
               "--host", "127.0.0.1", "--port", str(args.port)]
    return supervise_group(subprocess.Popen(command, env=_dagster_env(home), start_new_session=True))


def supervise_group(process: subprocess.Popen, grace_seconds: float = 30) -> int:
    """Wait for a child started in its own process group, forwarding SIGTERM/SIGINT to the whole
    group; once the child is gone, wait for the rest of the group (its webserver and daemon) and
    kill what outlives the grace period, so nothing is left re-parented to PID 1."""
    def forward(signum, _frame):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    status = process.wait()
    forward(signal.SIGTERM, None)  # what the child left running stops too
    deadline = time.monotonic() + grace_seconds
    while True:
        try:
            os.killpg(process.pid, 0 if time.monotonic() < deadline else signal.SIGKILL)
        except ProcessLookupError:
            return status
        time.sleep(0.2)


def serve_commands(home: Home, host: str, port: int) -> list[list[str]]:
    """The two long-running processes of production: the webserver and the daemon."""
    bin_dir = Path(sys.executable).parent
    return [
        [str(bin_dir / "dagster-webserver"), "-m", "orchestration.definitions", "--host", host,
         "--port", str(port)],
        [str(bin_dir / "dagster-daemon"), "run", "-m", "orchestration.definitions"],
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    """Production: the Dagster webserver and daemon as two supervised processes.

    Stops both on SIGTERM/SIGINT; if either exits, stops the other and exits with its status,
    so a service manager (systemd `Restart=on-failure`) restarts the pair.
    """
    from orchestration.instance import instance_for, storage_kind

    home = _home(args)
    instance_for(home).dispose()
    env = _dagster_env(home)
    print(f"wuxing serve: home {home.root}, instance storage {storage_kind()}, "
          f"UI http://{args.host}:{args.port}", flush=True)
    processes = [subprocess.Popen(command, env=env) for command in serve_commands(home, args.host, args.port)]
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while not stopping:
        exited = [p for p in processes if p.poll() is not None]
        if exited:
            status = exited[0].returncode or 1
            print(f"wuxing serve: {exited[0].args[0]} exited ({exited[0].returncode}); stopping",
                  file=sys.stderr, flush=True)
            break
        time.sleep(0.5)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return status


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    top = argparse.ArgumentParser(prog="wuxing", description="五型政府综合考核评分流水线 / "
                                  "Five-Type Government assessment scoring pipeline")
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--home", help="home folder (default: $WUXING_HOME, else ./var)")
        command.set_defaults(handler=handler)
        return command

    for name, handler, text in (("demo", cmd_demo, "generate the demo returns and run the pipeline once"),
                                ("generate-demo", cmd_generate_demo, "write the demo returns into landing/")):
        add(name, handler, text).add_argument("--seed", type=int, default=2024, help="random seed")
    add("run", cmd_run, "run the nightly job once, in-process, then score the stale periods")
    score = add("score", cmd_score, "re-score one period, or a range of periods (backfill), and publish")
    score.add_argument("start", help="quarter (2024Q3) or year (2024, the annual roll-up)")
    score.add_argument("end", nargs="?", help="last period of a range (default: start alone)")
    add("validate", cmd_validate, "verdict and notice for one return, without ingesting it").add_argument("file")
    template = add("template", cmd_template, "write a unit's or an evaluator's fill-in workbook")
    template.add_argument("--unit", required=True, help="unit or evaluator code, e.g. 360124 or E03")
    template.add_argument("--period", required=True, help="quarter, e.g. 2024Q4")
    template.add_argument("--out", help="output .xlsx path")
    add("ui", cmd_ui, "start the Dagster UI on 127.0.0.1 (development)").add_argument(
        "--port", type=int, default=3000)
    serve = add("serve", cmd_serve, "production: the Dagster webserver and daemon, supervised")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `wuxing` console script."""
    args = parser().parse_args(argv)
    try:
        check_settings()
        return args.handler(args)
    except SecretSettingError as error:
        print(f"配置错误 / configuration error: {error}", file=sys.stderr)
        return 2
    except Exception:  # an unexpected error: its traceback, with every secret masked
        import traceback

        print(mask(traceback.format_exc()), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
