"""Assessment periods as partitions: the keys, which periods are stale, and the ledger of builds.

A quarter's scores depend on its own accepted returns, on the previous quarter's and the same
quarter's a year before (the changes), and on the scoring rules (seeds and dbt project). A year's
roll-up depends on its quarters. A period is stale when any of that changed since it was last
scored; the ledger `ops.period_builds` in the warehouse records what each period was scored from.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.paths import DBT_PROJECT_DIR, SEEDS_DIR
from orchestration.quarters import COMPARED_OFFSETS, shift
from orchestration.warehouse import table_exists

LEDGER_DDL = """
create schema if not exists ops;
create table if not exists ops.period_builds (
    period varchar primary key,
    returns_fingerprint varchar not null,
    fingerprint varchar not null,
    code_version varchar not null,
    built_at timestamp not null,
    run_id varchar
);
create table if not exists ops.scoring_selection (
    period varchar not null,
    grain varchar not null
);
create table if not exists ops.periods_in_progress (
    period varchar primary key,
    run_id varchar,
    started_at timestamp not null
);
"""

RETURNS_FINGERPRINTS_SQL = """
select period, md5(string_agg(sha256, ',' order by sha256))
from raw.return_files
where status = 'accepted' and regexp_full_match(period, '[0-9]{4}Q[1-4]')
group by period
"""

CODE_GLOBS = (
    (SEEDS_DIR, "*.csv"),
    (DBT_PROJECT_DIR / "models", "**/*"),
    (DBT_PROJECT_DIR / "macros", "**/*"),
    (DBT_PROJECT_DIR, "dbt_project.yml"),
)

REASON_NEW = "新期次 / first scoring"
REASON_RETURNS = "填报有变化 / returns changed"
REASON_CODE = "计分规则或参考数据有变化 / scoring rules or reference data changed"
REASON_DEPENDENT = "比较期或所含季度有变化 / a compared period or a quarter of the year changed"
REASON_UNFINISHED = "上次重算未完成 / its last scoring run did not finish"
REASON_DECISION = "定稿或重新开放 / finalised or reopened"
REASON_LEDGER = "整改台账逾期扣分有变化 / the rectification ledger's overdue deductions changed"
LEDGER_PREFIX = "ledger:"

# The latest decision on each period (finalise / reopen, orchestration.lifecycle) is part of its
# inputs: the state decides the missing-part policy and the labels the marts show.
LAST_DECISIONS_SQL = """
select period, arg_max(decision_id, (decided_at, decision_id)) from ops.period_decisions group by period
"""

# The rectification ledger's overdue deductions taken from each quarter (rule R3): a view over the
# ledger as it is now, so an item going overdue, or closed late, re-scores the quarter it costs.
LEDGER_DEDUCTIONS_SQL = """
select period, md5(string_agg(concat_ws(':', item_id, points, status, closed_at), ',' order by item_id))
from intermediate.int_rectification_deductions_assigned
group by period
"""


def partition_keys(framework: Path = SEEDS_DIR) -> tuple[str, ...]:
    """The quarters of a framework folder's calendar (periods.csv) from the first one a framework
    version covers (none before can be scored), in order, each year's annual key after its Q4;
    read fresh, so a calendar extended in the folder counts from the next definitions load."""
    with (framework / "framework_versions.csv").open(encoding="utf-8") as handle:
        first = min(row["first_period"] for row in csv.DictReader(handle))
    with (framework / "periods.csv").open(encoding="utf-8") as handle:
        quarters = [row["period"] for row in csv.DictReader(handle) if row["period"] >= first]
    keys: list[str] = []
    for quarter in quarters:
        keys.append(quarter)
        if quarter.endswith("Q4"):
            keys.append(quarter[:4])
    return tuple(keys)


def _partition_position(key: str) -> tuple[int, int]:
    """Where a key sits in any calendar's partitions: by year, the year's key after its Q4."""
    return int(key[:4]), 5 if is_year(key) else int(key[5])


def in_partition_order(keys) -> list[str]:
    """Partition keys sorted as the partitions are (2024Q4 before 2024 before 2025Q1)."""
    return sorted(keys, key=_partition_position)


def is_year(key: str) -> bool:
    """True for an annual key ('2024'), false for a quarter ('2024Q3')."""
    return len(key) == 4


def code_version(seeds_dir: Path = SEEDS_DIR) -> str:
    """A digest of every file the scores depend on besides the returns: the framework folder
    (seeds) and the dbt project."""
    digest = hashlib.sha256()
    for root, pattern in ((seeds_dir, "*.csv"), *CODE_GLOBS[1:]):
        for path in sorted(p for p in root.glob(pattern) if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _utc_now() -> datetime:
    """Now in UTC as a naive timestamp, as the ledger stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def fingerprints(own: dict[str, str], code: str) -> dict[str, str]:
    """Each period's inputs as one digest: a quarter with the quarters it is compared with, a year
    with its quarters, and the code version; only periods with accepted returns are listed.

    The offsets are quarters.COMPARED_OFFSETS, the comparisons int_unit_scores_compared and
    mart_dimension_contributions make (tests/test_one_place.py checks the SQL against them)."""
    result = {}
    for quarter in own:
        compared = (own.get(shift(quarter, offset), "") for offset in COMPARED_OFFSETS)
        result[quarter] = _digest(code, own[quarter], *compared)
    for year in sorted({quarter[:4] for quarter in own}):
        result[year] = _digest(code, *(own.get(f"{year}Q{q}", "") for q in range(1, 5)))
    return result


@dataclass(frozen=True)
class PeriodPlan:
    """The periods to re-score, each with its reason, and how many are already up to date."""

    reasons: dict[str, str] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()
    calendar: tuple[str, ...] = field(default_factory=partition_keys)  # the home's partition keys

    @property
    def stale(self) -> list[str]:
        """The stale periods in partition order."""
        return in_partition_order(self.reasons)

    def ranges(self) -> list[tuple[str, str]]:
        """Runs of stale partition keys, one scoring run each: a range ends at an up-to-date period
        and bridges keys without returns (nothing to score there)."""
        stale, unchanged = set(self.reasons), set(self.unchanged)
        ranges: list[tuple[str, str]] = []
        start = end = None
        for key in self.calendar:
            if key in stale:
                start, end = start or key, key
            elif key in unchanged and start:
                ranges.append((start, end))
                start = None
        return ranges + [(start, end)] if start else ranges

    def markdown(self) -> str:
        """The stale periods and their reasons as a markdown table."""
        if not self.reasons:
            return f"无需重算 / nothing to re-score ({len(self.unchanged)} 期次未变 / periods unchanged)"
        lines = ["| 期次 period | 原因 reason |", "|---|---|"]
        lines += [f"| {key} | {self.reasons[key]} |" for key in self.stale]
        return "\n".join(lines + ["", f"未变 / unchanged: {len(self.unchanged)}"])


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ops.period_builds ledger if it does not exist yet."""
    con.execute(LEDGER_DDL)


def _own_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    exists = table_exists(con, "raw", "return_files")
    own = dict(con.execute(RETURNS_FINGERPRINTS_SQL).fetchall()) if exists else {}
    if table_exists(con, "ops", "period_decisions"):
        for period, decision in con.execute(LAST_DECISIONS_SQL).fetchall():
            if period in own:
                own[period] += f"|{decision}"
    if table_exists(con, "intermediate", "int_rectification_deductions_assigned"):
        for period, digest in con.execute(LEDGER_DEDUCTIONS_SQL).fetchall():
            if period in own:
                own[period] += f"|{LEDGER_PREFIX}{digest}"
    return own


def _changed_input(before: str, now: str) -> str:
    """Why a quarter's own inputs changed: its returns, the office's decision or else the ledger."""

    def returns_and_decision(own: str) -> list[str]:
        return [part for part in own.split("|") if not part.startswith(LEDGER_PREFIX)]

    old, new = returns_and_decision(before), returns_and_decision(now)
    if old[:1] != new[:1]:
        return REASON_RETURNS
    return REASON_DECISION if old != new else REASON_LEDGER


def plan(con: duckdb.DuckDBPyConnection, code: str | None = None, framework: Path = SEEDS_DIR) -> PeriodPlan:
    """Which periods of the framework's calendar must be re-scored now, compared with the
    ledger, and why."""
    ensure_ledger(con)
    code = code or code_version(framework)
    own = _own_fingerprints(con)
    current = fingerprints(own, code)
    built = {
        row[0]: row[1:]
        for row in con.execute(
            "select period, returns_fingerprint, fingerprint, code_version from ops.period_builds"
        ).fetchall()
    }
    unfinished = periods_in_progress(con)
    reasons, unchanged = {}, []
    for key, fingerprint in current.items():
        if key in unfinished:
            reasons[key] = REASON_UNFINISHED
        elif key not in built:
            reasons[key] = REASON_NEW
        elif built[key][1] == fingerprint:
            unchanged.append(key)
        elif built[key][2] != code:
            reasons[key] = REASON_CODE
        elif not is_year(key) and built[key][0] != own[key]:
            reasons[key] = _changed_input(built[key][0], own[key])
        else:
            reasons[key] = REASON_DEPENDENT
    return PeriodPlan(reasons=reasons, unchanged=tuple(sorted(unchanged)), calendar=partition_keys(framework))


def costed_by_findings(con: duckdb.DuckDBPyConnection, found_in: list[str]) -> list[str]:
    """The quarters whose overdue deductions (rule R3) come from ledger items found in `found_in`,
    with those compared with them (the next quarter, the same quarter a year on, the year), in
    partition order; only periods with returns (nothing else is scored)."""
    if not found_in or not table_exists(con, "intermediate", "int_rectification_deductions_assigned"):
        return []
    quarters = [
        row[0]
        for row in con.execute(
            "select distinct period from intermediate.int_rectification_deductions_assigned "
            "where list_contains(?, period_found)",
            [found_in],
        ).fetchall()
    ]
    reach = {
        *quarters,
        *(shift(q, 1) for q in quarters),
        *(shift(q, 4) for q in quarters),
        *(q[:4] for q in quarters),
    }
    return in_partition_order(reach & periods_with_returns(con))


def periods_with_returns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every quarter with accepted returns and every year holding one."""
    own = _own_fingerprints(con)
    return set(own) | {quarter[:4] for quarter in own}


def begin_scoring(con: duckdb.DuckDBPyConnection, keys: list[str], run_id: str | None) -> None:
    """Mark `keys` as being re-scored: until `record_builds` clears them, their rows in the
    warehouse may be half rebuilt, so nothing is published and the next plan re-scores them."""
    ensure_ledger(con)
    now = _utc_now()
    for key in keys:
        con.execute("insert or replace into ops.periods_in_progress values (?, ?, ?)", [key, run_id, now])


def select_periods(con: duckdb.DuckDBPyConnection, keys: list[str] | None) -> None:
    """Tell the period models which partitions the next build covers (macros/periods.sql):
    `keys` (quarters and years), or every period when None."""
    ensure_ledger(con)
    con.execute("delete from ops.scoring_selection")
    rows = [("*", "*")] if keys is None else [(key, "year" if is_year(key) else "quarter") for key in keys]
    if rows:
        con.executemany("insert into ops.scoring_selection values (?, ?)", rows)


def periods_in_progress(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Periods whose last scoring run began and did not finish (failed or killed)."""
    if not table_exists(con, "ops", "periods_in_progress"):
        return set()
    return {row[0] for row in con.execute("select period from ops.periods_in_progress").fetchall()}


def record_builds(
    con: duckdb.DuckDBPyConnection, keys: list[str], run_id: str | None, code: str | None = None
) -> list[str]:
    """Record that `keys` were just scored from the current returns; returns the keys recorded."""
    ensure_ledger(con)
    code = code or code_version()
    own = _own_fingerprints(con)
    current = fingerprints(own, code)
    now = _utc_now()
    recorded = [key for key in keys if key in current]
    for key in recorded:
        con.execute(
            "insert or replace into ops.period_builds values (?, ?, ?, ?, ?, ?)",
            [key, "" if is_year(key) else own[key], current[key], code, now, run_id],
        )
    con.execute("delete from ops.periods_in_progress where list_contains(?, period)", [list(keys)])
    return recorded


def periods_scored_by(warehouse: Path, run_id: str) -> list[str]:
    """The periods a run scored, from the ledger, in partition order (none before any scoring)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = (
            con.execute("select period from ops.period_builds where run_id = ?", [run_id]).fetchall()
            if table_exists(con, "ops", "period_builds")
            else []
        )
    return in_partition_order(row[0] for row in rows)


def unfinished_periods(warehouse: Path) -> list[str]:
    """`periods_in_progress` of a warehouse file, read-only, in partition order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return in_partition_order(periods_in_progress(con))
