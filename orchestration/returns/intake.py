"""Turning archived files into verdicts: parse, validate, record in the warehouse, quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from orchestration.home import Home
from orchestration.reference import Reference
from orchestration.returns.archive import ArchivedFile, archived_files
from orchestration.returns.notice import render_notice
from orchestration.returns.parse import parse_return
from orchestration.returns.validate import ReturnValidator, SuiteRun, Verdict
from orchestration.warehouse import connect, ensure_raw_tables


@dataclass
class IntakeReport:
    """What one intake pass decided."""

    accepted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> first reason
    suite_runs: list[SuiteRun] = field(default_factory=list)
    rows_in: int = 0


def judge(files: list[tuple[str, bytes]], validator: ReturnValidator) -> tuple[list[Verdict], list[SuiteRun]]:
    """Parse and validate a batch of (file name, bytes): the one path the pipeline and the CLI share."""
    return validator.validate([parse_return(name, data) for name, data in files])


def pending_files(home: Home) -> list[ArchivedFile]:
    """Archived files the warehouse has no verdict for yet."""
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        known = {row[0] for row in con.execute("select sha256 from raw.return_files").fetchall()}
    return [f for f in archived_files(home) if f.sha256 not in known]


def _quarantine(home: Home, item: ArchivedFile, notice: str) -> None:
    """Keep a copy of a rejected file and its notice side by side in quarantine/."""
    stem = f"{item.sha256[:12]}_{item.file_name}"
    (home.quarantine / stem).write_bytes(item.read())
    (home.quarantine / f"{stem}.notice.txt").write_text(notice, encoding="utf-8")


def _record(home: Home, items: list[ArchivedFile], verdicts: list[Verdict]) -> None:
    """Write the files, their values and their issues to the raw tables in one transaction."""
    files = pd.DataFrame([{
        "sha256": f.sha256, "file_name": f.file_name,
        "archive_path": str(f.path.relative_to(home.root)),
        "received_at": f.received_at.replace(tzinfo=None), "size_bytes": f.size_bytes,
        "return_type": v.return_type, "submitter_code": v.submitter_code, "period": v.period,
        "status": v.status, "reasons": "\n".join(i.describe() for i in v.issues),
        "error_count": sum(i.severity == "error" for i in v.issues),
        "warning_count": sum(i.severity == "warning" for i in v.issues),
    } for f, v in zip(items, verdicts)])
    values = pd.concat([v.values.assign(sha256=f.sha256) for f, v in zip(items, verdicts)],
                       ignore_index=True)
    issues = pd.DataFrame([i.as_record(f.sha256) for f, v in zip(items, verdicts) for i in v.issues],
                          columns=["sha256", "rule", "severity", "message_zh", "fix_zh", "sheet",
                                   "source_row", "column_name", "value_seen"])
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        con.execute("begin")
        for table, frame in (("return_files", files), ("return_values", values), ("return_issues", issues)):
            con.register("batch", frame)
            columns = ", ".join(frame.columns)
            con.execute(f"insert into raw.{table} ({columns}) select {columns} from batch")
            con.unregister("batch")
        con.execute("commit")


def intake(home: Home, reference: Reference, today: date | None = None) -> IntakeReport:
    """Judge every archived file without a verdict, quarantine the rejected, record all."""
    items = pending_files(home)
    report = IntakeReport()
    if not items:
        return report
    validator = ReturnValidator(reference, today=today)
    verdicts, report.suite_runs = judge([(f.file_name, f.read()) for f in items], validator)
    for item, verdict in zip(items, verdicts):
        if verdict.status == "rejected":
            notice = render_notice(item.file_name, item.sha256, verdict,
                                   reference.unit_name.get(verdict.submitter_code or ""), item.received_at)
            _quarantine(home, item, notice)
            report.rejected[item.file_name] = verdict.issues[0].describe()
        else:
            report.accepted.append(item.file_name)
        report.rows_in += len(verdict.values)
    _record(home, items, verdicts)
    return report
