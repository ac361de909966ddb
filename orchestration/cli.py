"""The `wuxing` command: demo, generate-demo, run, validate, template and ui."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from orchestration.home import Home  # noqa: E402


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
    """Run the nightly job's selection once, in this process; True on success."""
    from orchestration.definitions import build_definitions
    from orchestration.instance import instance_for

    definitions = build_definitions(home)
    job = definitions.resolve_job_def("nightly")
    result = job.execute_in_process(instance=instance_for(home), raise_on_error=False)
    for event in result.all_events:
        if event.is_step_failure:
            print(f"步骤失败 / step failed: {event.step_key}: {event.event_specific_data.error.message.strip()}",
                  file=sys.stderr)
    return result.success


def print_summary(home: Home) -> None:
    """The head of each peer group's ranking in the latest period, and where the marts are."""
    import duckdb

    from orchestration.publish import PARQUET_LINK, PUBLISHED_DB

    database = home.published / PUBLISHED_DB
    with duckdb.connect(str(database), read_only=True) as con:
        period = con.execute("select max(period) from marts.mart_unit_rankings").fetchone()[0]
        rows = con.execute(
            "select peer_group_name, rank_in_group, unit_name, total_score, grade, light "
            "from marts.mart_unit_rankings where period = ? and rank_in_group <= 3 "
            "order by peer_group, rank_in_group, unit_code", [period]).fetchall()
        log = dict(con.execute("select status, count(*) from marts.mart_return_log group by 1").fetchall())
    print(f"\n{period} 各组排名前三 / top three of each peer group")
    group = None
    for peer_group, rank, unit, score, grade, light in rows:
        if peer_group != group:
            group = peer_group
            print(f"  {peer_group}")
        print(f"    {rank:>2}. {unit:<16} {score:7.2f}  {grade} {light}")
    print(f"\n收文 / returns: " + ", ".join(f"{k} {v}" for k, v in sorted(log.items())))
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
    """Write a unit's fill-in workbook for a period."""
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


def cmd_ui(args: argparse.Namespace) -> int:
    """Start the Dagster UI (webserver and daemon) on 127.0.0.1 for this home."""
    from orchestration.instance import instance_for

    home = _home(args)
    instance_for(home)
    env = {**os.environ, "WUXING_HOME": str(home.root), "DAGSTER_HOME": str(home.dagster_home)}
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "orchestration.definitions",
               "--host", "127.0.0.1", "--port", str(args.port)]
    return subprocess.call(command, env=env)


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
    add("run", cmd_run, "run the nightly job's selection once, in-process")
    add("validate", cmd_validate, "verdict and notice for one return, without ingesting it").add_argument("file")
    template = add("template", cmd_template, "write a unit's fill-in workbook")
    template.add_argument("--unit", required=True, help="unit code, e.g. 360124")
    template.add_argument("--period", required=True, help="quarter, e.g. 2024Q4")
    template.add_argument("--out", help="output .xlsx path")
    add("ui", cmd_ui, "start the Dagster UI on 127.0.0.1").add_argument("--port", type=int, default=3000)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `wuxing` console script."""
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
