"""The benchmark's steps, each run in a child process (`python -m benchmarks step NAME HOME`) so
its wall time and peak RSS (its own and its children's: dbt) are measured alone. Each step calls
the code a run calls, with the same arguments."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from orchestration.home import Home

FLOOR_SQL = Path(__file__).with_name("floor.sql")
TOTAL_TOLERANCE = 1e-9  # points: the models sum through DECIMAL(38, 18), the floor in doubles


def fixed(home: Home) -> dict:
    """Imports, the Dagster definitions (the dbt manifest included) and the instance: what every
    `wuxing run` pays before any work."""
    from orchestration.definitions import build_definitions
    from orchestration.instance import instance_for

    build_definitions(home)
    instance_for(home)
    return {}


def reference(home: Home) -> dict:
    """The reference build as asset `dbt_reference_models` runs it (skipped when unchanged)."""
    from orchestration.defs.dbt import REFERENCE_EXCLUDE, dbt_build_args, dbt_resource, dbt_target
    from orchestration.lifecycle import ensure_lifecycle_tables
    from orchestration.reference_state import record_reference_build, reference_state
    from orchestration.warehouse import connect

    with connect(home.warehouse) as con:
        ensure_lifecycle_tables(con)
    args = dbt_build_args(home)
    fingerprint, unchanged = reference_state(home.warehouse, home.framework, args)
    if not unchanged:
        dbt_resource().cli(args + ["--exclude", REFERENCE_EXCLUDE], target_path=dbt_target(home, "reference")).wait()
        with connect(home.warehouse) as con:
            record_reference_build(con, fingerprint, "benchmark")
    return {"skipped": unchanged}


def periods(home: Home) -> dict:
    """The period build of every period with returns, as asset `dbt_period_models` runs a first
    scoring (a full rebuild, unit tests included), with its ledger."""
    from orchestration.defs.dbt import PERIOD_SELECTOR, dbt_build_args, dbt_resource, dbt_target
    from orchestration.lifecycle import ensure_lifecycle_tables, settle_final_periods
    from orchestration.periods import (
        begin_scoring,
        code_version,
        in_partition_order,
        periods_with_returns,
        record_builds,
        select_periods,
    )
    from orchestration.warehouse import connect, ensure_raw_tables

    code = code_version(home.framework)
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        ensure_lifecycle_tables(con)
        keys = in_partition_order(periods_with_returns(con))
        select_periods(con, None)
        begin_scoring(con, keys, "benchmark")
    args = dbt_build_args(home, full_refresh=True) + ["--select", PERIOD_SELECTOR]
    dbt_resource().cli(args, target_path=dbt_target(home, "periods")).wait()
    with connect(home.warehouse) as con:
        settle_final_periods(con, None, "benchmark")
        record_builds(con, keys, "benchmark", code)
    return {"periods": keys}


def publish(home: Home) -> dict:
    """The published copy, as asset `published_marts` makes it."""
    from orchestration.publish import publish as publish_home

    return {"rows": sum(publish_home(home).tables.values())}


def floor(home: Home) -> dict:
    """The floor query (floor.sql) on the same warehouse, then its agreement with the marts."""
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        started = time.perf_counter()
        con.execute(FLOOR_SQL.read_text(encoding="utf-8"))
        seconds = time.perf_counter() - started
        rows, compared, worst, rank_diffs = con.execute("""
            select (select count(*) from floor_scores), count(*),
                   max(abs(m.total_score_exact - f.total_score)),
                   count(*) filter (where m.rank_in_group is distinct from f.rank_in_group)
            from marts.mart_unit_rankings m
            join floor_scores f using (unit_code, period)""").fetchone()
        scored = con.execute("select count(*) from marts.mart_unit_rankings").fetchone()[0]
    return {
        "query_seconds": seconds,
        "floor_rows": rows,
        "mart_rows": scored,
        "compared": compared,
        "max_total_difference": worst,
        "rank_differences": rank_diffs,
        "agree": rows == scored == compared and worst <= TOTAL_TOLERANCE and rank_diffs == 0,
    }


def intake(home: Home) -> dict:
    """Archive and validate the returns in landing/, as assets `archived_returns` and
    `validated_returns` do."""
    from orchestration.reference import Reference
    from orchestration.returns.archive import archive_landing
    from orchestration.returns.intake import intake as intake_home

    archived = archive_landing(home)
    intake_home(home, Reference.load(home.framework))
    return {"returns": len(archived.archived)}


STEPS = {
    "fixed": fixed,
    "intake": intake,
    "reference": reference,
    "periods": periods,
    "publish": publish,
    "floor": floor,
}


def main(name: str, root: str, out: str) -> None:
    result = STEPS[name](Home(Path(root)))
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
