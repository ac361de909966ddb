"""The assessment period's life: the office's decisions (finalise 定稿 / reopen 重新开放), the frozen
official results of a final period, the comparison a later re-scoring writes instead of changing
them, and late returns held for a final period.

The decisions are data (`ops.period_decisions`, read by dbt as a source): the period state the
marts show is derived from them in dbt (`int_period_finality_resolved`, `mart_period_status`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.clock import beijing_text
from orchestration.home import Home
from orchestration.paths import DBT_PROJECT_DIR
from orchestration.periods import _utc_now, code_version, is_year
from orchestration.warehouse import table_exists

FINALIZE = "finalize"
REOPEN = "reopen"
HELD = "held"
COMPARISON = "mart_official_comparison"
FROZEN = "定稿结果已冻结 / official results frozen"
# The ledger marts (整改台账) a finalisation adds items to; rebuilt in the same run (defs/dbt.py).
LEDGER_MARTS = ("fct_rectification_items", "mart_rectification_status")
# The period-keyed marts (models/marts/by_period); those with a `period` column are frozen.
PERIOD_MARTS = tuple(sorted(p.stem for p in (DBT_PROJECT_DIR / "models" / "marts" / "by_period").glob("*.sql")))

LIFECYCLE_DDL = """
create schema if not exists ops;
create table if not exists ops.period_decisions (
    decision_id varchar primary key,
    period varchar not null,
    action varchar not null,
    decided_by varchar not null,
    decided_at timestamp not null,
    reason varchar,
    code_version varchar,
    returns_sha256 varchar,
    run_id varchar
);
create table if not exists ops.official_snapshots (
    decision_id varchar not null,
    period varchar not null,
    mart varchar not null,
    row_count bigint not null,
    frozen_at timestamp not null,
    run_id varchar
);
create schema if not exists official;
create table if not exists ops.rectification_findings (
    item_id varchar primary key,
    source varchar not null,
    unit_code varchar not null,
    period varchar not null,
    indicator_code varchar,
    problem varchar not null,
    found_at timestamp not null
);
create table if not exists ops.rectification_actions (
    action_id varchar primary key,
    item_id varchar not null,
    action varchar not null,
    unit_code varchar,
    period varchar,
    problem varchar,
    deadline date,
    measures varchar,
    done boolean,
    evidence_sha256 varchar,
    evidence_path varchar,
    note varchar,
    acted_by varchar not null,
    acted_at timestamp not null
);
create table if not exists ops.appeals (
    appeal_id varchar primary key,
    unit_code varchar not null,
    period varchar not null,
    indicator_code varchar not null,
    claim varchar not null,
    evidence_sha256 varchar,
    evidence_file_name varchar,
    evidence_path varchar,
    filed_by varchar not null,
    filed_at timestamp not null,
    status varchar not null,
    decided_by varchar,
    decided_at timestamp,
    decision_reason varchar
);
"""

# Created by the first comparison, so the published marts hold it only once there is one.
COMPARISON_DDL = f"""
create schema if not exists marts;
create table if not exists marts.{COMPARISON} (
    period varchar not null,
    unit_code varchar not null,
    unit_name varchar,
    official_total_score double,
    rescored_total_score double,
    score_difference double,
    official_rank_in_group bigint,
    rescored_rank_in_group bigint,
    official_grade varchar,
    rescored_grade varchar,
    differs boolean not null,
    official_code_version varchar,
    rescored_code_version varchar,
    finalised_at timestamp,
    compared_at timestamp not null,
    run_id varchar
);
"""

CURRENT_RETURNS_SQL = """
select coalesce(string_agg(sha256, ',' order by sha256), '')
from intermediate.int_return_files_versioned where is_current and period = ?
"""


@dataclass(frozen=True)
class Decision:
    """One recorded decision of the office on a period."""

    decision_id: str
    period: str
    action: str
    decided_by: str
    decided_at: datetime  # UTC
    reason: str | None


def ensure_lifecycle_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the decision log, the snapshot registry, the official schema and the appeals (申诉) log."""
    con.execute(LIFECYCLE_DDL)


def last_decisions(con: duckdb.DuckDBPyConnection) -> dict[str, Decision]:
    """The latest decision per period (none before the first)."""
    if not table_exists(con, "ops", "period_decisions"):
        return {}
    rows = con.execute(
        "select decision_id, period, action, decided_by, decided_at, reason "
        "from ops.period_decisions qualify row_number() over "
        "(partition by period order by decided_at desc, decision_id desc) = 1"
    ).fetchall()
    return {row[1]: Decision(*row) for row in rows}


def final_periods(con: duckdb.DuckDBPyConnection) -> dict[str, Decision]:
    """Periods whose latest decision is to finalise, with that decision."""
    return {period: d for period, d in last_decisions(con).items() if d.action == FINALIZE}


def decide(
    con: duckdb.DuckDBPyConnection,
    period: str,
    action: str,
    decided_by: str,
    reason: str | None = None,
    run_id: str | None = None,
) -> Decision:
    """Record that the office finalised or reopened a quarter; ValueError (Chinese) if it may not.

    Reopening releases the returns held while the period was final (they were validated already)."""
    ensure_lifecycle_tables(con)
    if is_year(period) or len(period) != 6:
        raise ValueError(f"只能对季度定稿或重新开放（例 2024Q4）；年度结果在四个季度均定稿后即为定稿: {period}")
    current = final_periods(con)
    if action == FINALIZE:
        if period in current:
            raise ValueError(f"{period} 已于 {beijing_text(current[period].decided_at)} 定稿，无需重复定稿")
        accepted = (
            con.execute(
                "select count(*) from raw.return_files where status = 'accepted' and period = ?", [period]
            ).fetchone()[0]
            if table_exists(con, "raw", "return_files")
            else 0
        )
        if not accepted:
            raise ValueError(f"{period} 尚无通过校验的填报，不能定稿")
    elif action == REOPEN:
        if period not in current:
            raise ValueError(f"{period} 未定稿，无需重新开放")
        if not (reason or "").strip():
            raise ValueError("重新开放须说明理由（--reason …）")
    else:
        raise ValueError(f"unknown action {action}")
    returns = (
        con.execute(CURRENT_RETURNS_SQL, [period]).fetchone()[0]
        if action == FINALIZE and table_exists(con, "intermediate", "int_return_files_versioned")
        else None
    )
    decision = Decision(uuid.uuid4().hex, period, action, decided_by, _utc_now(), (reason or "").strip() or None)
    con.execute(
        "insert into ops.period_decisions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            decision.decision_id,
            period,
            action,
            decided_by,
            decision.decided_at,
            decision.reason,
            code_version(),
            returns,
            run_id,
        ],
    )
    if action == REOPEN:
        con.execute("update raw.return_files set status = 'accepted' where status = ? and period = ?", [HELD, period])
    return decision


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _frozen_marts(con: duckdb.DuckDBPyConnection, key: str = "period") -> list[str]:
    """The period-keyed marts that exist and have the key column: `period` (quarters) or `year`."""
    return [mart for mart in PERIOD_MARTS if key in _columns(con, "marts", mart)]


def _freeze(con: duckdb.DuckDBPyConnection, decision: Decision, run_id: str | None, key: str = "period") -> None:
    """Copy every row of the period (a quarter, or a year with key 'year') in every mart keyed by
    it into official.<mart>."""
    for mart in _frozen_marts(con, key):
        con.execute(
            f"create table if not exists official.{mart} as "
            f"select *, ''::varchar as decision_id from marts.{mart} limit 0"
        )
        have = set(_columns(con, "official", mart))
        for column in _columns(con, "marts", mart):
            if column not in have:  # the mart gained a column since an earlier finalisation
                kind = con.execute(
                    "select data_type from information_schema.columns where table_schema = "
                    "'marts' and table_name = ? and column_name = ?",
                    [mart, column],
                ).fetchone()[0]
                con.execute(f'alter table official.{mart} add column "{column}" {kind}')
        con.execute(
            f"insert into official.{mart} by name select *, ? as decision_id from marts.{mart} where {key} = ?",
            [decision.decision_id, decision.period],
        )
        rows = con.execute(
            f"select count(*) from official.{mart} where decision_id = ?", [decision.decision_id]
        ).fetchone()[0]
        con.execute(
            "insert into ops.official_snapshots values (?, ?, ?, ?, ?, ?)",
            [decision.decision_id, decision.period, mart, rows, _utc_now(), run_id],
        )
    if key == "period" and table_exists(con, "intermediate", "int_rectification_findings"):  # 整改台账
        con.execute(
            "insert or ignore into ops.rectification_findings select item_id, source, unit_code, period, "
            "indicator_code, problem, ? from intermediate.int_rectification_findings where period = ?",
            [_utc_now(), decision.period],
        )


# What a re-scoring is compared on: per key, the mart, its score and its grade (none for years).
COMPARED = {
    "period": ("mart_unit_rankings", "total_score", "grade"),
    "year": ("mart_unit_annual_scores", "annual_score", None),
}


def _compare(
    con: duckdb.DuckDBPyConnection,
    decision: Decision,
    run_id: str | None,
    official_code: str | None,
    key: str = "period",
) -> int:
    """Write official vs re-scored results of a final quarter (or year); returns how many units differ."""
    mart, score, grade = COMPARED[key]
    grade_o, grade_r = (f"o.{grade}", f"r.{grade}") if grade else ("null", "null")
    con.execute(COMPARISON_DDL)
    con.execute(f"delete from marts.{COMPARISON} where period = ?", [decision.period])
    con.execute(
        f"""
        insert into marts.{COMPARISON}
        select ?, coalesce(o.unit_code, r.unit_code), coalesce(o.unit_name, r.unit_name),
               o.{score}, r.{score}, round(r.{score} - o.{score}, 2),
               o.rank_in_group, r.rank_in_group, {grade_o}, {grade_r},
               (o.unit_code is null or r.unit_code is null
                or o.{score} is distinct from r.{score}
                or o.rank_in_group is distinct from r.rank_in_group
                or {grade_o} is distinct from {grade_r}),
               ?, ?, ?, ?, ?
        from (select * from official.{mart} where decision_id = ?) as o
        full outer join (select * from marts.{mart} where {key} = ?) as r
            on r.unit_code = o.unit_code
    """,
        [
            decision.period,
            official_code,
            code_version(),
            decision.decided_at,
            _utc_now(),
            run_id,
            decision.decision_id,
            decision.period,
        ],
    )
    return con.execute(
        f"select count(*) from marts.{COMPARISON} where period = ? and differs", [decision.period]
    ).fetchone()[0]


def _restore(con: duckdb.DuckDBPyConnection, decision: Decision, key: str = "period") -> None:
    """Put the official rows of a final period back into the marts the re-scoring rebuilt."""
    frozen = {
        row[0]
        for row in con.execute(
            "select mart from ops.official_snapshots where decision_id = ?", [decision.decision_id]
        ).fetchall()
    }
    for mart in _frozen_marts(con, key):
        if mart not in frozen:
            continue
        columns = ", ".join(f'"{c}"' for c in _columns(con, "marts", mart) if c in _columns(con, "official", mart))
        con.execute(f"delete from marts.{mart} where {key} = ?", [decision.period])
        con.execute(
            f"insert into marts.{mart} ({columns}) select {columns} from official.{mart} where decision_id = ?",
            [decision.decision_id],
        )


def _year_decision(year: str, finals: dict[str, Decision]) -> tuple[Decision, str] | None:
    """A year is final when its four quarters are: its decision is the latest of theirs, with an
    id derived from the four (so a reopened and refinalised quarter makes a new official year);
    with the id of that latest quarter decision (its code version is the year's)."""
    quarters = [finals.get(f"{year}Q{q}") for q in range(1, 5)]
    if None in quarters:
        return None
    latest = max(quarters, key=lambda d: (d.decided_at, d.decision_id))
    ident = "Y" + hashlib.sha256(",".join(d.decision_id for d in quarters).encode()).hexdigest()[:31]
    return Decision(ident, year, FINALIZE, latest.decided_by, latest.decided_at, "四个季度均已定稿"), latest.decision_id


def _official_code(con: duckdb.DuckDBPyConnection, decision_id: str) -> str | None:
    row = con.execute("select code_version from ops.period_decisions where decision_id = ?", [decision_id]).fetchone()
    return row[0] if row else None


def _settle(
    con: duckdb.DuckDBPyConnection, decision: Decision, run_id: str | None, key: str, official_code: str | None
) -> str:
    """Freeze a final period's rows on its first scoring since it became final; afterwards compare
    the re-scoring and put the official rows back."""
    frozen = con.execute(
        "select count(*) from ops.official_snapshots where decision_id = ?", [decision.decision_id]
    ).fetchone()[0]
    if not frozen:
        _freeze(con, decision, run_id, key)
        return FROZEN
    differing = _compare(con, decision, run_id, official_code, key)
    _restore(con, decision, key)
    return (
        f"已定稿，重算结果仅写入对照表（{differing} 个单位不同）/ final: the re-scoring "
        f"went to {COMPARISON} ({differing} units differ); official rows kept"
    )


def settle_final_periods(con: duckdb.DuckDBPyConnection, keys: list[str] | None, run_id: str | None) -> dict[str, str]:
    """After a scoring build: freeze the final periods scored for the first time since their
    finalisation; for those frozen already, compare the re-scoring with the official rows, then
    put the official rows back. A year is final, and frozen the same way (its annual marts), once
    its four quarters are. `keys` None = every period. Returns what was done per period."""
    ensure_lifecycle_tables(con)
    done: dict[str, str] = {}
    finals = final_periods(con)
    for period, decision in sorted(finals.items()):
        if keys is None or period in keys:
            done[period] = _settle(con, decision, run_id, "period", _official_code(con, decision.decision_id))
    for year in sorted({period[:4] for period in finals}):
        final_year = _year_decision(year, finals)
        if final_year is not None and (keys is None or year in keys):
            decision, latest = final_year
            done[year] = _settle(con, decision, run_id, "year", _official_code(con, latest))
    return done


def held_notice(period: str, decision: Decision, sha256: str) -> str:
    """The paragraph put at the top of the notice of a return held for a final period."""
    return (
        f"【暂存，未计分】{period} 已于 {beijing_text(decision.decided_at)} 由 {decision.decided_by} 定稿。"
        f"本文件（sha256 {sha256[:12]}…）已存档并通过校验，但定稿期次的正式结果不再变动，本文件暂不计分。"
        f"如需更正已定稿的结果，请向考核办提出申诉；考核办重新开放该期次"
        f"（wuxing reopen {period} --reason …）后，本文件自动参与计分。\n"
        f"[held] {period} is final; this return is archived and valid but not scored unless the "
        f"period is reopened.\n\n"
    )


def hold_returns_for_final_periods(home: Home, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark accepted returns received after their period was finalised as held and say so at the
    top of their notices; returns the held files' sha256."""
    held = []
    for period, decision in final_periods(con).items():
        rows = con.execute(
            "select sha256 from raw.return_files where status = 'accepted' and period = ? and received_at > ?",
            [period, decision.decided_at],
        ).fetchall()
        for (sha,) in rows:
            con.execute("update raw.return_files set status = ? where sha256 = ?", [HELD, sha])
            for notice in Path(home.notices).glob(f"{sha[:12]}_*.notice.txt"):
                notice.write_text(
                    held_notice(period, decision, sha) + notice.read_text(encoding="utf-8"), encoding="utf-8"
                )
            held.append(sha)
    return held
