"""The rectification ledger (整改台账, 销号管理): the office enters problems, units report measures
with evidence archived like every return, the office closes (销号) an item or sends it back.
Items from red lights and 督查 deductions open by themselves when a period is finalised; the state
of every item is derived in dbt (`fct_rectification_items`) from these recorded actions."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

import duckdb

from orchestration.appeals import archive_evidence
from orchestration.home import Home
from orchestration.lifecycle import ensure_lifecycle_tables
from orchestration.periods import _utc_now
from orchestration.reference import Reference

ACTIONS = ("open", "report", "close", "send_back")


def _known_item(con: duckdb.DuckDBPyConnection, item_id: str) -> bool:
    return (
        con.execute(
            "select count(*) from (select item_id from ops.rectification_findings union all "
            "select item_id from ops.rectification_actions where action = 'open') "
            "where item_id = ?",
            [item_id],
        ).fetchone()[0]
        > 0
    )


def _insert(con: duckdb.DuckDBPyConnection, item_id: str, action: str, by: str, **fields) -> None:
    row = {
        "unit_code": None,
        "period": None,
        "problem": None,
        "deadline": None,
        "measures": None,
        "done": None,
        "evidence_sha256": None,
        "evidence_path": None,
        "note": None,
        **fields,
    }
    con.execute(
        "insert into ops.rectification_actions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            item_id,
            action,
            row["unit_code"],
            row["period"],
            row["problem"],
            row["deadline"],
            row["measures"],
            row["done"],
            row["evidence_sha256"],
            row["evidence_path"],
            row["note"],
            by,
            _utc_now(),
        ],
    )


def open_item(
    con: duckdb.DuckDBPyConnection,
    reference: Reference,
    unit_code: str,
    period: str,
    problem: str,
    by: str,
    deadline: date | None = None,
) -> str:
    """The office enters a problem; returns the new item id (ZG…)."""
    ensure_lifecycle_tables(con)
    if unit_code not in reference.unit_tier:
        raise ValueError(f"未知单位代码 {unit_code}（见 seeds/units.csv）")
    if not re.fullmatch(r"[0-9]{4}Q[1-4]", period):
        raise ValueError(f"报告期格式应为 2024Q4: {period}")
    if not problem.strip():
        raise ValueError("请写明问题（--problem …）")
    item_id = "ZG" + uuid.uuid4().hex[:8].upper()
    _insert(con, item_id, "open", by, unit_code=unit_code, period=period, problem=problem.strip(), deadline=deadline)
    return item_id


def act(
    home: Home,
    con: duckdb.DuckDBPyConnection,
    item_id: str,
    action: str,
    by: str,
    *,
    measures: str | None = None,
    done: bool | None = None,
    evidence: Path | None = None,
    note: str | None = None,
) -> None:
    """Record a unit's progress report (`report`) or the office's 销号 (`close`) / 退回 (`send_back`)."""
    ensure_lifecycle_tables(con)
    if action not in ACTIONS[1:]:
        raise ValueError(f"操作应为 {' / '.join(ACTIONS[1:])}")
    if not _known_item(con, item_id):
        raise ValueError(f"台账中没有编号为 {item_id} 的事项")
    last = con.execute(
        "select action from ops.rectification_actions where item_id = ? and action <> 'open' "
        "order by acted_at desc limit 1",
        [item_id],
    ).fetchone()
    if last and last[0] == "close":
        raise ValueError(f"{item_id} 已销号")
    if action == "report" and not (measures or "").strip():
        raise ValueError("请写明整改措施（--measures …）")
    if action == "send_back" and not (note or "").strip():
        raise ValueError("退回须说明理由（--note …）")
    if evidence is not None and not evidence.is_file():
        raise ValueError(f"找不到佐证材料文件 {evidence}")
    sha, stored = archive_evidence(home, evidence) if evidence is not None else (None, None)
    _insert(
        con, item_id, action, by, measures=measures, done=done, evidence_sha256=sha, evidence_path=stored, note=note
    )


def report_from_return(
    con: duckdb.DuckDBPyConnection,
    item_id: str,
    unit_code: str,
    measures: str,
    done: bool,
    sha256: str,
    archive_path: str,
    note: str,
) -> None:
    """Record one accepted row of a rectification return (orchestration.rectification_return) as
    the unit's `report`; the return itself, archived by sha256, is the evidence."""
    _insert(
        con,
        item_id,
        "report",
        unit_code,
        measures=measures,
        done=done,
        evidence_sha256=sha256,
        evidence_path=archive_path,
        note=note,
    )
