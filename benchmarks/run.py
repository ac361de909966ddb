"""Run the benchmark: each step in a child process, timed (wall) with its peak RSS (os.wait4:
the child and the processes it waited for, dbt included), then the results as JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.synthetic import write_home

ENV = {
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}
SCORING_STEPS = ("reference", "periods", "publish")


def measure(command: list[str]) -> tuple[float, float, int]:
    """Run `command`; (wall seconds, peak RSS in MiB, exit code)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode:
        sys.stderr.write(process.stderr.read().decode(errors="replace")[-4000:])
    return seconds, usage.ru_maxrss / 1024, process.returncode


def step(name: str, home: Path) -> dict:
    """One step of benchmarks/steps.py in a child process, with its own result."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        seconds, rss, code = measure([sys.executable, "-m", "benchmarks", "step", name, str(home), out.name])
        if code:
            raise SystemExit(f"step {name} failed (exit {code})")
        detail = json.loads(Path(out.name).read_text(encoding="utf-8"))
    return {"step": name, "seconds": round(seconds, 2), "peak_rss_mib": round(rss), **detail}


def nothing_new(home: Path) -> dict:
    """`wuxing run` on the scored home with nothing new in landing/."""
    wuxing = Path(sys.executable).with_name("wuxing")
    seconds, rss, code = measure([str(wuxing), "run", "--home", str(home)])
    if code:
        raise SystemExit(f"`wuxing run` failed (exit {code})")
    return {"step": "run_nothing_new", "seconds": round(seconds, 2), "peak_rss_mib": round(rss)}


def intake_home(work: Path) -> Path:
    """A home with the demo's return files (real xlsx/csv) in landing/, nothing archived yet."""
    from orchestration.demo import generate_demo
    from orchestration.home import Home

    home = Home(work / "intake").ensure()
    generate_demo(home.landing, seed=2024)
    return home.root


def markdown(result: dict) -> str:
    """The result as a Markdown table (the README's speed section is pasted from it)."""
    data = result["data"]
    lines = [
        f"Scale: {data['units']:,} units × {data['quarters']} quarters = {data['values']:,} values "
        f"({data['return_files']:,} return files), {result['machine']}, {result['date']}.",
        "",
        "| step | wall s | peak RSS MiB | note |",
        "|---|---:|---:|---|",
    ]
    for row in result["steps"]:
        note = {
            "fixed": "imports, definitions, instance",
            "intake": f"{row.get('returns', 0)} real return files archived and validated",
            "reference": "dbt build: seeds, staging, dimensions, tests",
            "periods": "dbt build of the period models, tests, ledger",
            "publish": f"{row.get('rows', 0):,} rows published",
            "floor": f"query {row.get('query_seconds', 0):.2f} s; agree={row.get('agree')}",
            "run_nothing_new": "`wuxing run`, nothing new",
        }[row["step"]]
        lines.append(f"| {row['step']} | {row['seconds']:.2f} | {row['peak_rss_mib']:,} | {note} |")
    ratio = result["ratio_to_floor"]
    lines += [
        "",
        f"Scoring (reference + periods + publish) / floor query: {ratio['scoring']:.1f}×; "
        f"period build alone / floor query: {ratio['periods']:.1f}×. Agreement: "
        f"{result['agreement']['compared']:,} unit-periods, largest total difference "
        f"{result['agreement']['max_total_difference']:.2e}, "
        f"{result['agreement']['rank_differences']} rank differences.",
    ]
    return "\n".join(lines) + "\n"


def run(scale: int, quarters: int, work_dir: str, out_dir: str, with_intake: bool) -> int:
    """Generate, run every step, compare with the floor, write JSON and Markdown; 0 if the floor
    agrees with the marts, else 1."""
    work, out = Path(work_dir).resolve(), Path(out_dir)
    home = work / "scoring"
    data = write_home(home, scale, quarters)
    print(f"data: {data}", flush=True)
    steps = [step("fixed", home)]
    if with_intake:
        steps.append(step("intake", intake_home(work)))
    for name in (*SCORING_STEPS, "floor"):
        steps.append(step(name, home))
        print(f"{name}: {steps[-1]['seconds']:.2f} s, {steps[-1]['peak_rss_mib']} MiB", flush=True)
    steps.append(nothing_new(home))
    by_name = {row["step"]: row for row in steps}
    floor = by_name["floor"]
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, {platform.python_version()}",
        "data": data,
        "steps": steps,
        "ratio_to_floor": {
            "scoring": sum(by_name[s]["seconds"] for s in SCORING_STEPS) / floor["query_seconds"],
            "periods": by_name["periods"]["seconds"] / floor["query_seconds"],
        },
        "agreement": {k: floor[k] for k in ("compared", "max_total_difference", "rank_differences", "agree")},
    }
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"scale{scale}_q{quarters}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    print(f"ratio to floor: {result['ratio_to_floor']['scoring']:.1f}× (written {stem}.json, .md)")
    return 0 if floor["agree"] else 1
