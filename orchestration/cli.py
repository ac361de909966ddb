"""The `wuxing` command: demo, generate-demo, run, score, validate, withdraw, template, report, docs,
finalize, reopen, appeal, decide-appeal, rectify, ui and serve."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from orchestration.home import Home  # noqa: E402
from orchestration.secrets import SecretSettingError, check_settings, mask  # noqa: E402

if TYPE_CHECKING:
    from orchestration.console import RunConsole


def _home(args: argparse.Namespace) -> Home:
    return Home.resolve(args.home).ensure()


def cmd_generate_demo(args: argparse.Namespace) -> int:
    """Write the demo returns into landing/."""
    from orchestration.demo import generate_demo

    home = _home(args)
    manifest = generate_demo(home.landing, seed=args.seed)
    print(
        f"已生成演示填报文件 {len(manifest.files)} 个 / wrote {len(manifest.files)} demo returns "
        f"to {home.landing} (of which {len(manifest.bad_files)} deliberately bad)"
    )
    return 0


def run_pipeline(home: Home, view: RunConsole | None = None) -> bool:
    """Run the nightly job once in this process, then score the periods its plan found stale;
    True on success.

    The same jobs, instance, pool and alerts as runs started by the schedule and the sensors:
    runs left behind by a killed process are marked failed first (freeing the warehouse pool), and
    a failed run or a failed asset check is written to the alerts log (and the webhook, if any).
    """
    from orchestration.console import RunConsole
    from orchestration.definitions import build_definitions
    from orchestration.defs.periods import planned_ranges, scoring_tags
    from orchestration.instance import instance_for, reap_dead_runs
    from orchestration.periods import partition_keys

    view = view or RunConsole.plain(home)
    definitions = build_definitions(home)
    instance = instance_for(home)
    for run_id in reap_dead_runs(instance):
        view.say(f"已将中断的运行标记为失败 / marked the interrupted run {run_id} as failed", error=True)
    view.say("收文与校验 / intake (nightly)")
    intake = _execute(home, instance, definitions.resolve_job_def("nightly"), {}, view)
    if not intake.success:
        return False
    ranges = planned_ranges(instance, intake.run_id)
    if not ranges:
        view.say("各期次分数均为最新 / every period's scores are up to date")
    for start, end in ranges:
        view.say(f"重算期次 / scoring periods {start}..{end}")
        scoring = _execute(
            home,
            instance,
            definitions.resolve_job_def("score_periods"),
            scoring_tags(start, end, partition_keys(home.framework), intake.run_id),
            view,
        )
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
    keys = partition_keys(home.framework)
    for key in (args.start, end):
        if key not in keys:
            print(f"未知期次 / unknown period: {key} (例 e.g. 2024Q3, 或年度 or the year 2024)", file=sys.stderr)
            return 2
    if keys.index(end) < keys.index(args.start):
        print(f"期次范围颠倒 / the range ends before it starts: {args.start}..{end}", file=sys.stderr)
        return 2
    from orchestration.console import RunConsole

    job = build_definitions(home).resolve_job_def("score_periods")
    with RunConsole(home, args.verbose) as view:
        view.say(f"重算期次 / scoring periods {args.start}..{end}")
        ok = _execute(home, instance_for(home), job, scoring_tags(args.start, end, keys), view).success
    if not ok:
        view.say("重算失败，发布库保持上次结果 / scoring failed; the published marts are unchanged", error=True)
        view.say(f"完整日志 / full log: {view.log}", error=True)
        return 1
    print_summary(home, view)
    return 0


def _execute(home: Home, instance, job, tags: dict[str, str], view: RunConsole | None = None):
    """Execute one job in-process under the CLI's tags, its progress shown; print failed steps
    and send alerts."""
    from dagster._core.utils import make_new_run_id

    from orchestration import alerts
    from orchestration.console import RunConsole
    from orchestration.defs.constants import HOST_TAG, LAUNCHED_BY_TAG, PID_TAG

    view = view or RunConsole.plain(home)
    tags = {**tags, LAUNCHED_BY_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    run_id = make_new_run_id()
    with view.watch(instance, run_id, job.name):
        result = job.execute_in_process(instance=instance, raise_on_error=False, tags=tags, run_id=run_id)
    for event in result.all_events:
        if event.is_step_failure:
            message = mask(event.event_specific_data.error.message.strip())
            view.say(f"步骤失败 / step failed: {event.step_key}: {message}", error=True)
    for alert in alerts.notify(home, alerts.alerts_for_run(instance, result.run_id)):
        view.say(f"告警 / alert: {alert.title} → {home.root / alerts.ALERTS_LOG}", error=True)
    return result


def print_summary(home: Home, view: RunConsole | None = None) -> None:
    """The head of each peer group's ranking in the latest period, and where the marts are."""
    from orchestration.clock import beijing_text
    from orchestration.console import RunConsole, summary_table
    from orchestration.publish import PARQUET_LINK, PUBLISHED_DB, ranking_head, result_status, return_counts

    view = view or RunConsole.plain(home)
    database = home.published / PUBLISHED_DB
    period, rows = ranking_head(database)
    log = return_counts(database)
    view.console.print()
    status, unranked = result_status(database, period)
    view.console.print(summary_table(period, rows, status, unranked))
    view.say("收文 / returns: " + ", ".join(f"{RETURN_STATUS_ZH.get(k, k)} {k} {v} 份" for k, v in log.items()))
    published_at = beijing_text(datetime.fromtimestamp(database.stat().st_mtime, UTC))
    view.say(f"发布库 / published DuckDB: {database}（{published_at}）")
    view.say(f"Parquet: {home.published / PARQUET_LINK}")
    view.say(f"退回文件与通知 / quarantine: {home.quarantine}")
    if view.log is not None:
        view.say(f"完整日志 / full log: {view.log}")


RETURN_STATUS_ZH = {
    "accepted": "受理",
    "rejected": "退回",
    "superseded": "已被更正",
    "with_warnings": "其中有提示",
    "held": "暂存",
}


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline once; exit 1 if any step failed."""
    from orchestration.console import RunConsole

    home = _home(args)
    with RunConsole(home, args.verbose) as view:
        ok = run_pipeline(home, view)
    if not ok:
        view.say("运行失败，发布库保持上次结果 / run failed; the published marts are unchanged", error=True)
        view.say(f"完整日志 / full log: {view.log}", error=True)
        return 1
    print_summary(home, view)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo returns and run the whole pipeline once, then the rank uncertainty of
    the demo's last quarter (so the published demo marts hold one example)."""
    cmd_generate_demo(args)
    code = cmd_run(args)
    if code:
        return code
    from orchestration import uncertainty

    period = uncertainty.latest_quarter(_home(args))
    return (
        uncertainty_of(_home(args), period, uncertainty.DEFAULT_REPLICATIONS, uncertainty.DEFAULT_SEED) if period else 0
    )


def cmd_decide(args: argparse.Namespace) -> int:
    """Finalise (定稿) or reopen a quarter, recorded with who, when and why; then run the pipeline,
    whose plan re-scores the period (freezing its official results when finalised)."""
    import getpass

    import duckdb

    from orchestration.clock import beijing_text
    from orchestration.lifecycle import decide
    from orchestration.warehouse import connect, ensure_raw_tables

    home = _home(args)
    try:
        with connect(home.warehouse) as con:
            ensure_raw_tables(con)
            decision = decide(con, args.period.strip().upper(), args.action, args.by or getpass.getuser(), args.reason)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except duckdb.IOException:
        print(
            "数据仓库正被另一运行占用，请稍后再试 / the warehouse is busy with another run; try again", file=sys.stderr
        )
        return 1
    verb = "已定稿" if args.action == "finalize" else "已重新开放"
    print(
        f"{decision.period} {verb}（{decision.decided_by}，{beijing_text(decision.decided_at)}"
        f"{'，理由：' + decision.reason if decision.reason else ''}）/ {decision.period} {args.action}d"
    )
    return cmd_run(args)


def _then_run(args: argparse.Namespace, message: str, mart: str) -> int:
    """After a recorded state change: run the pipeline as the nightly job does, so the marts
    (mart_period_status, the ledger, the overdue deductions) show it now, unless --no-run."""
    if args.no_run:
        print(f"{message}\n下次运行（wuxing run）后见 {mart} / listed in {mart} after the next run")
        return 0
    print(message)
    return cmd_run(args)


def cmd_appeal(args: argparse.Namespace) -> int:
    """Record a unit's appeal (申诉) with its evidence archived, or the office's decision on one."""
    import getpass

    from orchestration.appeals import decide_appeal, file_appeal
    from orchestration.reference import Reference
    from orchestration.warehouse import connect

    home = _home(args)
    by = args.by or getpass.getuser()
    try:
        with connect(home.warehouse) as con:
            if args.command == "appeal":
                appeal = file_appeal(
                    home,
                    con,
                    Reference.load(home.framework),
                    args.unit,
                    args.period.strip().upper(),
                    args.indicator,
                    args.claim,
                    Path(args.evidence) if args.evidence else None,
                    by,
                )
                message = (
                    f"已登记申诉 {appeal.appeal_id}（{appeal.unit_code} {appeal.period} "
                    f"{appeal.indicator_code}）/ appeal recorded"
                )
            else:
                message = decide_appeal(con, args.appeal_id, args.outcome, by, args.reason)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return _then_run(args, message, "mart_appeals")


def cmd_rectify(args: argparse.Namespace) -> int:
    """The rectification ledger (整改台账): open an office item, report measures, close (销号), send back."""
    import getpass
    from datetime import date

    from orchestration.rectification import act, open_item
    from orchestration.reference import Reference
    from orchestration.warehouse import connect

    home = _home(args)
    by = args.by or getpass.getuser()
    action = args.action.replace("-", "_")
    try:
        with connect(home.warehouse) as con:
            if action == "open":
                deadline = date.fromisoformat(args.deadline) if args.deadline else None
                item = open_item(
                    con,
                    Reference.load(home.framework),
                    args.unit or "",
                    (args.period or "").upper(),
                    args.problem or "",
                    by,
                    deadline,
                )
                message = f"已录入整改事项 {item} / ledger item opened"
            else:
                if not args.item:
                    raise ValueError("请给出台账编号 / give the item id")
                done = None if args.done is None else args.done == "yes"
                act(
                    home,
                    con,
                    args.item,
                    action,
                    by,
                    measures=args.measures,
                    done=done,
                    evidence=Path(args.evidence) if args.evidence else None,
                    note=args.note,
                )
                message = f"{args.item}: {args.action} 已记录 / recorded"
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return _then_run(args, message, "fct_rectification_items")


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the verdict and notice for one file without ingesting it; exit 1 if rejected."""
    from orchestration.reference import Reference
    from orchestration.returns.intake import check_file

    path = Path(args.file)
    if not path.is_file():
        print(f"找不到文件 / no such file: {path}", file=sys.stderr)
        return 2
    landed_at = None
    if args.landed_at:
        landed_at = _beijing_time(args.landed_at)
        if landed_at is None:
            print(
                f'无法识别的时间 / unrecognised time: {args.landed_at}（示例 / e.g. "2024-10-09 18:00"）',
                file=sys.stderr,
            )
            return 2
        print(f"按 {landed_at:%Y-%m-%d %H:%M} 北京时间送达判断 / judged as landed at that Beijing time")
    home = _home(args)
    verdict, notice = check_file(home, Reference.load(home.framework), path.name, path.read_bytes(), landed_at)
    print(notice, end="")
    return 0 if verdict.status == "accepted" else 1


def _beijing_time(text: str) -> datetime | None:
    """'2024-10-09 18:00' (or a date, or ISO with an offset) as an aware time; no offset = Beijing."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("T", " "))
    except ValueError:
        return None
    from orchestration.clock import BEIJING

    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def cmd_template(args: argparse.Namespace) -> int:
    """Write a unit's or an evaluator's fill-in workbook for a period."""
    from orchestration.reference import Reference
    from orchestration.template import write_template

    if args.kind == "rectification":
        return _rectification_template(args)
    out = Path(args.out or f"{args.unit}_{args.period}_填报模板.xlsx")
    try:
        path = write_template(out, args.unit, args.period, Reference.load(_home(args).framework))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"已生成填报模板 / template written: {path}")
    _warn_if_closed(args.period, _home(args).framework)
    return 0


def _rectification_template(args: argparse.Namespace) -> int:
    """Write a unit's rectification return (整改情况报送表), one row per open ledger item."""
    import duckdb

    from orchestration.rectification_return import open_items, write_rectification_template
    from orchestration.reference import Reference

    home = _home(args)
    out = Path(args.out or f"{args.unit}_{args.period}_整改情况报送表.xlsx")
    try:
        items = open_items(home.warehouse, args.unit) if home.warehouse.exists() else []
        path = write_rectification_template(
            out, args.unit, args.period.strip().upper(), Reference.load(home.framework), items
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except duckdb.IOException:
        print(
            "数据仓库正被另一运行占用，请稍后再试 / the warehouse is busy with another run; try again", file=sys.stderr
        )
        return 1
    print(f"已生成整改情况报送表（{len(items)} 个未销号事项）/ rectification return written: {path}")
    return 0


def _warn_if_closed(period: str, framework: Path) -> None:
    """Warn on stderr when the period of a template is already closed for returns (the home's calendar)."""
    from orchestration.clock import BEIJING
    from orchestration.returns.settings import ValidationSettings

    today = datetime.now(BEIJING).date()
    known = ValidationSettings.load(seeds_dir=framework).periods.get(period)
    if known is not None and known.closed_on is not None and today >= known.closed_on:
        print(
            f"注意：{period} 已于 {known.closed_on:%Y-%m-%d} 关闭，此后按本模板报送的报表不会直接计分，"
            "将被暂缓处理（须经考核办同意方可补报） / warning: the period is closed; returns for it will be held",
            file=sys.stderr,
        )


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Write an auditable withdrawal return (cells marked 撤回) into landing/ for the next run."""
    from orchestration.reference import Reference
    from orchestration.returns.withdraw import write_withdrawal

    home = _home(args).ensure()
    try:
        path = write_withdrawal(
            home.landing,
            Reference.load(home.framework),
            args.submitter,
            args.period,
            args.indicator,
            args.unit or [],
            args.reason or "",
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"已写入撤回报表，下次运行时受理 / withdrawal written, judged by the next run: {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Make a period's reports from the published marts (or serve the reports read-only)."""
    from orchestration.reports.cli import report_command

    return report_command(_home(args), args)


def _dagster_env(home: Home) -> dict[str, str]:
    return {**os.environ, "WUXING_HOME": str(home.root), "DAGSTER_HOME": str(home.dagster_home)}


def cmd_ui(args: argparse.Namespace) -> int:
    """Start the Dagster UI (webserver and daemon) on 127.0.0.1 for this home (development)."""
    from orchestration.instance import instance_for

    home = _home(args)
    instance_for(home)
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
    ]
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
        [str(bin_dir / "dagster-webserver"), "-m", "orchestration.definitions", "--host", host, "--port", str(port)],
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
    print(
        f"wuxing serve: home {home.root}, instance storage {storage_kind()}, UI http://{args.host}:{args.port}",
        flush=True,
    )
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
            print(
                f"wuxing serve: {exited[0].args[0]} exited ({exited[0].returncode}); stopping",
                file=sys.stderr,
                flush=True,
            )
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


def cmd_docs(args: argparse.Namespace) -> int:
    """Build dbt's docs and the GX Data Docs of this home under <home>/docs and serve them offline."""
    from orchestration.docs import build_dbt_docs, docs_server, publish_gx_docs

    home = _home(args)
    print("生成文档 / building dbt docs …", flush=True)
    try:
        dbt_index = build_dbt_docs(home)
    except Exception as error:  # noqa: BLE001 - dbt's own message is in its log
        print(
            f"生成 dbt 文档失败（仓库可能正被一次运行占用，请稍后再试）/ dbt docs failed (a run may hold the "
            f"warehouse; try again later): {str(error).strip().splitlines()[0] if str(error).strip() else error!r}"
            f"；日志 log: {home.root / 'dbt_target' / 'docs'}",
            file=sys.stderr,
        )
        return 1
    gx_index = publish_gx_docs(home)
    print(f"dbt 文档 / dbt docs: {dbt_index}")
    print(f"数据校验报告 / GX Data Docs: {gx_index or '尚无校验结果 / no validation yet'}")
    if args.no_serve:
        return 0
    server = docs_server(home, args.port)
    port = server.server_address[1]
    print(
        f"浏览 / open http://127.0.0.1:{port}/dbt/ 与 and http://127.0.0.1:{port}/gx/ （Ctrl+C 结束 / to stop）",
        flush=True,
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop on SIGTERM as on Ctrl+C
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    top = argparse.ArgumentParser(
        prog="wuxing", description="五型政府综合考核评分流水线 / Five-Type Government assessment scoring pipeline"
    )
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--home", help="home folder (default: $WUXING_HOME, else ./var)")
        command.set_defaults(handler=handler)
        return command

    for name, handler, text in (
        ("demo", cmd_demo, "generate the demo returns and run the pipeline once"),
        ("generate-demo", cmd_generate_demo, "write the demo returns into landing/"),
    ):
        add(name, handler, text).add_argument("--seed", type=int, default=2024, help="random seed")
    add("run", cmd_run, "run the nightly job once, in-process, then score the stale periods")
    score = add("score", cmd_score, "re-score one period, or a range of periods (backfill), and publish")
    score.add_argument("start", help="quarter (2024Q3) or year (2024, the annual roll-up)")
    score.add_argument("end", nargs="?", help="last period of a range (default: start alone)")
    validate = add("validate", cmd_validate, "verdict and notice for one return, without ingesting it")
    validate.add_argument("file")
    validate.add_argument("--landed-at", help='judge as if the file landed then, Beijing time, e.g. "2024-10-09 18:00"')
    withdraw = add("withdraw", cmd_withdraw, "write a withdrawal (撤回) of reported values into landing/")
    withdraw.add_argument("--submitter", required=True, help="unit or evaluator that reported the values")
    withdraw.add_argument("--period", required=True, help="quarter, e.g. 2024Q4")
    withdraw.add_argument("--indicator", required=True, action="append", help="indicator code (repeatable)")
    withdraw.add_argument("--unit", action="append", help="assessed unit, for an evaluator (repeatable)")
    withdraw.add_argument("--reason", help="why, kept in the 备注 column")
    for action, text in (
        ("finalize", "finalise (定稿) a quarter: freeze its official results"),
        ("reopen", "reopen a final quarter (a reason is required)"),
    ):
        decision = add(action, cmd_decide, text)
        decision.set_defaults(action=action)
        decision.add_argument("period", help="quarter, e.g. 2024Q4")
        decision.add_argument("--reason", required=action == "reopen", help="why (recorded)")
        decision.add_argument("--by", help="who decides (default: the login name)")
    appeal = add("appeal", cmd_appeal, "record a unit's appeal (申诉) against one of its values")
    appeal.add_argument("--unit", required=True, help="unit code, e.g. 360124")
    appeal.add_argument("--period", required=True, help="quarter, e.g. 2024Q4")
    appeal.add_argument("--indicator", required=True, help="indicator code, e.g. SV101")
    appeal.add_argument("--claim", required=True, help="what the unit claims")
    appeal.add_argument("--evidence", help="evidence file (archived by sha256)")
    appeal.add_argument("--by", help="who records it (default: the login name)")
    decide_cmd = add("decide-appeal", cmd_appeal, "record the office's decision on an appeal (复核)")
    decide_cmd.add_argument("appeal_id")
    decide_cmd.add_argument("--outcome", required=True, choices=["upheld", "rejected"])
    decide_cmd.add_argument("--reason", required=True, help="why (recorded)")
    decide_cmd.add_argument("--by", help="who decides (default: the login name)")
    rectify = add("rectify", cmd_rectify, "rectification ledger (整改台账): open, report, close (销号), send-back")
    rectify.add_argument("action", choices=["open", "report", "close", "send-back"])
    rectify.add_argument("item", nargs="?", help="ledger item id (report, close, send-back)")
    rectify.add_argument("--unit", help="open: unit code")
    rectify.add_argument("--period", help="open: quarter the problem was found in")
    rectify.add_argument("--problem", help="open: the problem")
    rectify.add_argument(
        "--deadline", help="open: deadline YYYY-MM-DD (default: the rule of seeds/rectification_rules.csv)"
    )
    rectify.add_argument("--measures", help="report: measures taken")
    rectify.add_argument("--done", choices=["yes", "no"], help="report: done?")
    rectify.add_argument("--evidence", help="report: evidence file (archived by sha256)")
    rectify.add_argument("--note", help="close / send-back: note (send-back: required)")
    rectify.add_argument("--by", help="who (default: the login name)")
    template = add("template", cmd_template, "write a unit's or an evaluator's fill-in workbook")
    template.add_argument("--unit", required=True, help="unit or evaluator code, e.g. 360124 or E03")
    template.add_argument("--period", required=True, help="quarter, e.g. 2024Q4")
    template.add_argument("--out", help="output .xlsx path")
    template.add_argument(
        "--kind",
        choices=["return", "rectification"],
        default="return",
        help="return (default) or rectification: the unit's 整改情况报送表 of its open ledger items",
    )
    report = add("report", cmd_report, "the 通报 workbook, draft text and web scorecard of a period")
    report.add_argument("period", nargs="?", help="quarter (2024Q4) or year (2024)")
    report.add_argument("--out", help="folder to publish into (default: <home>/published/reports)")
    report.add_argument("--serve", action="store_true", help="serve the published reports read-only on 127.0.0.1")
    report.add_argument("--port", type=int, default=8014, help="port for --serve (default 8014)")
    add("ui", cmd_ui, "start the Dagster UI on 127.0.0.1 (development)").add_argument("--port", type=int, default=3000)
    docs = add("docs", cmd_docs, "build dbt's docs and the GX Data Docs and serve them offline on 127.0.0.1")
    docs.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free port)")
    docs.add_argument("--no-serve", action="store_true", help="build the pages only")
    serve = add("serve", cmd_serve, "production: the Dagster webserver and daemon, supervised")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000)
    uncertain = add("uncertainty", cmd_uncertainty, "rank uncertainty and sensitivity of one quarter, then publish")
    uncertain.add_argument("period", help="quarter, e.g. 2024Q4")
    uncertain.add_argument("--replications", type=int, default=500, help="replications (default 500)")
    uncertain.add_argument("--seed", type=int, default=18, help="random seed (default 18)")  # uncertainty.DEFAULT_*
    for name in ("demo", "run", "score", "finalize", "reopen"):
        sub.choices[name].add_argument(
            "-v", "--verbose", action="store_true", help="show the full log live (always written to <home>/logs/)"
        )
    for name in ("appeal", "decide-appeal", "rectify"):
        sub.choices[name].add_argument(
            "-v", "--verbose", action="store_true", help="show the full log live (always written to <home>/logs/)"
        )
        sub.choices[name].add_argument(
            "--no-run", action="store_true", help="only record it; the marts show it after the next run"
        )
    return top


def uncertainty_of(home: Home, period: str, replications: int, seed: int) -> int:
    """Run the rank_uncertainty job (the asset the UI materialises) for one period, then publish."""
    from orchestration.console import RunConsole
    from orchestration.definitions import build_definitions
    from orchestration.defs.constants import REPLICATIONS_TAG, SEED_TAG
    from orchestration.instance import instance_for

    job = build_definitions(home).resolve_job_def("rank_uncertainty_job")
    tags = {"dagster/partition": period, REPLICATIONS_TAG: str(replications), SEED_TAG: str(seed)}
    with RunConsole(home, False) as view:
        view.say(f"名次不确定性 / rank uncertainty {period}: {replications} 次重复 replications, seed {seed}")
        ok = _execute(home, instance_for(home), job, tags, view).success
    if not ok:
        view.say("不确定性分析失败 / the uncertainty analysis failed", error=True)
        return 1
    return 0


def cmd_uncertainty(args: argparse.Namespace) -> int:
    """Rank uncertainty and sensitivity of one quarter (mart_rank_uncertainty, mart_rank_sensitivity)."""
    from orchestration.periods import partition_keys

    home = _home(args)
    if args.period not in partition_keys(home.framework):  # the home's own calendar (issue 13)
        print(f"未知期次 / unknown period: {args.period} (例 e.g. 2024Q3)", file=sys.stderr)
        return 2
    return uncertainty_of(home, args.period, args.replications, args.seed)


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
