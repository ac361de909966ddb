"""Report cost on a built demo home (a benchmark: it measures, asserts nothing).

Usage: .venv/bin/python tests/benchmarks/bench_reports.py HOME [PERIOD ...]
Makes the reports of each PERIOD (default: every scored quarter and year of HOME) into a temporary
folder, as `wuxing report` does, and prints the seconds of each and the total.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.home import Home
from orchestration.periods import in_partition_order


def scored_periods(home: Home) -> list[str]:
    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        quarters = [p for (p,) in con.execute("select distinct period from marts.mart_unit_rankings").fetchall()]
        years = [y for (y,) in con.execute("select distinct year from marts.mart_unit_annual_scores").fetchall()]
    return in_partition_order(quarters + years)


def main(root: str, periods: list[str]) -> None:
    started = time.perf_counter()
    from orchestration.reports.build import build_report  # imports counted in the total

    home = Home.resolve(root)
    periods = periods or scored_periods(home)
    with tempfile.TemporaryDirectory() as out:
        for period in periods:
            report = build_report(home, period, out=Path(out))
            print(f"{period:>7}: {report.seconds:5.2f} s ({len(report.files)} files)")
    print(f"total {len(periods)} periods: {time.perf_counter() - started:.1f} s wall (imports included)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
