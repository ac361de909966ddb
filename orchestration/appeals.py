"""Appeals (申诉/复核): a unit's objection to one of its values, with its evidence archived byte for
byte, and the office's decision. An upheld appeal never edits a value: the unit (or the evaluator
that reports the indicator) sends a corrected return through the normal intake, and `mart_appeals`
shows which return resolved it."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.home import Home
from orchestration.lifecycle import ensure_lifecycle_tables, final_periods
from orchestration.periods import _utc_now
from orchestration.reference import Reference
from orchestration.returns.archive import _write_atomic

EVIDENCE = "evidence"  # <home>/evidence/<sha256[:2]>/<sha256>.<ext> + .json, as the return archive
OUTCOMES = ("upheld", "rejected")


@dataclass(frozen=True)
class Appeal:
    """A recorded appeal."""

    appeal_id: str
    unit_code: str
    period: str
    indicator_code: str


def archive_evidence(home: Home, path: Path) -> tuple[str, str]:
    """Archive an evidence file like every return (sha256-named, sidecar with its original name and
    receipt time); returns its sha256 and its path relative to the home."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    folder = home.root / EVIDENCE / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", path.suffix.lower()) else ".bin"
    blob = folder / f"{sha}{suffix}"
    if not blob.exists():
        _write_atomic(blob, data)
        meta = {
            "sha256": sha,
            "file_name": path.name,
            "received_at": _utc_now().isoformat() + "+00:00",
            "size_bytes": len(data),
            "blob": blob.name,
        }
        _write_atomic(folder / f"{sha}.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
    return sha, str(blob.relative_to(home.root))


def file_appeal(
    home: Home,
    con: duckdb.DuckDBPyConnection,
    reference: Reference,
    unit_code: str,
    period: str,
    indicator_code: str,
    claim: str,
    evidence: Path | None,
    filed_by: str,
) -> Appeal:
    """Record an appeal; ValueError (Chinese) naming what is wrong."""
    ensure_lifecycle_tables(con)
    if unit_code not in reference.unit_tier:
        raise ValueError(f"未知单位代码 {unit_code}（见 seeds/units.csv）")
    if not re.fullmatch(r"[0-9]{4}Q[1-4]", period):
        raise ValueError(f"报告期格式应为 2024Q4: {period}")
    if indicator_code not in set(reference.indicators.indicator_code):
        raise ValueError(f"未知指标代码 {indicator_code}（见 seeds/indicators.csv）")
    if not claim.strip():
        raise ValueError("请写明申诉事项（--claim …）")
    if evidence is not None and not evidence.is_file():
        raise ValueError(f"找不到证明材料文件 {evidence}")
    sha, stored = archive_evidence(home, evidence) if evidence is not None else (None, None)
    appeal = Appeal("SS" + uuid.uuid4().hex[:8].upper(), unit_code, period, indicator_code)
    con.execute(
        "insert into ops.appeals values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', null, null, null)",
        [
            appeal.appeal_id,
            unit_code,
            period,
            indicator_code,
            claim.strip(),
            sha,
            evidence.name if evidence else None,
            stored,
            filed_by,
            _utc_now(),
        ],
    )
    return appeal


def decide_appeal(con: duckdb.DuckDBPyConnection, appeal_id: str, outcome: str, decided_by: str, reason: str) -> str:
    """Record the office's decision on a pending appeal; returns what must happen next (Chinese)."""
    ensure_lifecycle_tables(con)
    row = con.execute(
        "select unit_code, period, indicator_code, status from ops.appeals where appeal_id = ?", [appeal_id]
    ).fetchone()
    if row is None:
        raise ValueError(f"没有编号为 {appeal_id} 的申诉")
    unit_code, period, indicator_code, status = row
    if status != "pending":
        raise ValueError(f"申诉 {appeal_id} 已办结（{status}）")
    if outcome not in OUTCOMES:
        raise ValueError(f"结论应为 {' / '.join(OUTCOMES)}")
    if not reason.strip():
        raise ValueError("请写明复核理由（--reason …）")
    con.execute(
        "update ops.appeals set status = ?, decided_by = ?, decided_at = ?, decision_reason = ? where appeal_id = ?",
        [outcome, decided_by, _utc_now(), reason.strip(), appeal_id],
    )
    if outcome == "rejected":
        return f"申诉 {appeal_id} 不予支持，维持原值。"
    step = (
        f'{period} 已定稿，须先重新开放（wuxing reopen {period} --reason "申诉 {appeal_id} 成立"），'
        if period in final_periods(con)
        else ""
    )
    return (
        f"申诉 {appeal_id} 成立。{step}请 {indicator_code} 的报送单位按正常途径报送 {unit_code} {period} 的更正填报；"
        f"数值只通过更正填报改变，mart_appeals 将显示由哪份填报办结。"
    )
