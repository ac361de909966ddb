"""Turning archived files into verdicts: parse, validate, record in the warehouse, quarantine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from orchestration.clock import BEIJING
from orchestration.home import Home
from orchestration.lifecycle import hold_returns_for_final_periods
from orchestration.reference import Reference
from orchestration.returns.archive import ArchivedFile, archived_files, stored_name
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.notice import render_notice
from orchestration.returns.parse import ParsedReturn, parse_return
from orchestration.returns.supersession import CurrentValues
from orchestration.returns.validate import HISTORY_COLUMNS, ReturnValidator, SuiteRun, Verdict
from orchestration.warehouse import connect, ensure_raw_tables, table_exists


@dataclass(frozen=True)
class Submission:
    """What a return is judged on: its name, its bytes, when it landed, and whether it was a link."""

    file_name: str
    data: bytes
    landed_at: datetime
    symlink: bool = False
    fault: OSError | None = None  # the archived bytes could not be read

    @classmethod
    def of(cls, item: ArchivedFile) -> Submission:
        try:
            return cls(item.file_name, item.read(), item.landed_at, item.symlink)
        except OSError as error:
            return cls(item.file_name, b"", item.landed_at, item.symlink, fault=error)


@dataclass
class IntakeReport:
    """What one intake pass decided."""

    accepted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> first reason
    warned: int = 0  # accepted returns that carry warnings
    suite_runs: list[SuiteRun] = field(default_factory=list)
    rows_in: int = 0
    data_docs: str | None = None  # path of the GX Data Docs front page, when built
    held: list[str] = field(default_factory=list)  # sha256 of accepted returns held: period final


def _parse(submission: Submission, validator: ReturnValidator) -> ParsedReturn:
    """Parse one submission; a link in landing/ is refused without being followed."""
    if submission.symlink:
        return ParsedReturn(
            file_name=submission.file_name,
            issues=[
                Issue(
                    "leaves_landing",
                    ERROR,
                    "报送的是指向其他位置的链接（快捷方式），不是文件本身",
                    "请直接报送文件本身，不要报送快捷方式或链接",
                    value_seen=submission.data.decode(errors="replace"),
                )
            ],
        )
    return parse_return(submission.file_name, submission.data, validator.settings)


def unreadable(file_name: str, error: BaseException) -> ParsedReturn:
    """The verdict on a file whose reading, parsing or judging raised: refused with the error's
    class only (never a traceback, never its message, which may quote the file)."""
    return ParsedReturn(
        file_name=file_name,
        issues=[
            Issue(
                "unreadable",
                ERROR,
                f"文件无法读取：读取、解析或校验时出错（{type(error).__name__}）",
                "请用 Excel 或 WPS 打开后另存为新的 .xlsx（或 UTF-8 编码的 .csv）再报送；仍被退回请联系考核办",
            )
        ],
    )


def _parse_guarded(submission: Submission, validator: ReturnValidator) -> ParsedReturn:
    """The fault boundary of parsing: whatever one file raises refuses that file alone."""
    if submission.fault is not None:
        return unreadable(submission.file_name, submission.fault)
    try:
        return _parse(submission, validator)
    except Exception as error:  # noqa: BLE001 - any fault of one file must not stop the batch
        return unreadable(submission.file_name, error)


def load_history(home: Home) -> pd.DataFrame:
    """Accepted values of earlier runs (from the published marts, which never lock): the baseline
    for warnings. Empty before the first successful run."""
    database = home.published / "wuxing.duckdb"
    if not database.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    with duckdb.connect(str(database), read_only=True) as con:
        if not table_exists(con, "marts", "fct_indicator_scores"):  # published before any scoring
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        return con.execute(
            "select unit_code, period, indicator_code, raw_value as value "
            "from marts.fct_indicator_scores where raw_value is not null"
        ).df()


def judge(
    submissions: list[Submission],
    validator: ReturnValidator,
    history: pd.DataFrame | None = None,
    reported: set[tuple[str, str]] | None = None,
) -> tuple[list[Verdict], list[SuiteRun]]:
    """Parse and validate a batch of submissions: the one path the pipeline and the CLI share.

    A file that makes the batch's validation raise is found by validating the files one by one;
    it alone is refused as unreadable, the others are judged as usual."""
    parsed = [_parse_guarded(s, validator) for s in submissions]
    landed = [s.landed_at.astimezone(BEIJING).date() for s in submissions]  # deadlines: Beijing calendar days
    try:
        return validator.validate(parsed, landed, history, reported)
    except Exception as error:  # noqa: BLE001 - isolate the file at fault below
        if len(parsed) == 1:
            parsed[0] = unreadable(parsed[0].file_name, error)
        else:
            for i, item in enumerate(parsed):
                try:
                    validator.validate([item], [landed[i]], history, reported)
                except Exception as item_error:  # noqa: BLE001 - this file is at fault
                    parsed[i] = unreadable(item.file_name, item_error)
    return validator.validate(parsed, landed, history, reported)


def current_values(home: Home) -> CurrentValues:
    """The values accepted so far, per submitter and period (for partial corrections); none when
    the warehouse does not exist yet or is being written by a run."""
    if not home.warehouse.exists():
        return CurrentValues()
    try:
        with connect(home.warehouse, read_only=True) as con:
            if not table_exists(con, "raw", "return_values"):
                return CurrentValues()
            return CurrentValues.load(con)
    except duckdb.IOException:
        return CurrentValues()


def pending_files(home: Home) -> list[ArchivedFile]:
    """Archived files the warehouse has no verdict for yet."""
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        known = {row[0] for row in con.execute("select sha256 from raw.return_files").fetchall()}
    return [f for f in archived_files(home) if f.sha256 not in known]


def _record(home: Home, items: list[ArchivedFile], verdicts: list[Verdict]) -> None:
    """Write the files, their values and their issues to the raw tables in one transaction."""
    files = pd.DataFrame(
        [
            {
                "sha256": f.sha256,
                "file_name": f.file_name,
                "archive_path": str(f.path.relative_to(home.root)),
                "received_at": f.received_at.replace(tzinfo=None),
                "landed_at": f.landed_at.replace(tzinfo=None),
                "size_bytes": f.size_bytes,
                "return_type": v.return_type,
                "submitter_code": v.submitter_code,
                "period": v.period,
                "status": v.status,
                "reasons": "\n".join(i.describe() for i in v.issues),
                "error_count": sum(i.severity == "error" for i in v.issues),
                "warning_count": sum(i.severity == "warning" for i in v.issues),
            }
            for f, v in zip(items, verdicts)
        ]
    )
    values = pd.concat([v.values.assign(sha256=f.sha256) for f, v in zip(items, verdicts)], ignore_index=True)
    issues = pd.DataFrame(
        [i.as_record(f.sha256) for f, v in zip(items, verdicts) for i in v.issues],
        columns=[
            "sha256",
            "rule",
            "severity",
            "message_zh",
            "fix_zh",
            "sheet",
            "source_row",
            "column_name",
            "value_seen",
        ],
    )
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        con.execute("begin")
        for table, frame in (("return_files", files), ("return_values", values), ("return_issues", issues)):
            con.register("batch", frame)
            columns = ", ".join(frame.columns)
            con.execute(f"insert into raw.{table} ({columns}) select {columns} from batch")
            con.unregister("batch")
        con.execute("commit")


def intake(home: Home, reference: Reference) -> IntakeReport:
    """Judge every archived file without a verdict, quarantine the rejected, record all."""
    from orchestration.rectification_return import take_rectification_returns, without_judged

    items = without_judged(home, pending_files(home))
    report = IntakeReport()
    if not items:
        return report
    validator = ReturnValidator(reference, docs_dir=home.root)
    # 整改情况报送表: judged by their own suite and recorded in the ledger (issue 12)
    items, ledger_verdicts, ledger_runs = take_rectification_returns(home, reference, items, validator)
    for file_name, verdict in ledger_verdicts.items():
        if verdict.status == "accepted":
            report.accepted.append(file_name)
        else:
            report.rejected[file_name] = verdict.issues[0].describe()
    if not items:
        report.suite_runs = ledger_runs
        return report
    current = current_values(home)
    submissions = [Submission.of(f) for f in items]
    verdicts, report.suite_runs = judge(submissions, validator, load_history(home), current.reported)
    report.suite_runs += ledger_runs
    report.data_docs = str(validator.docs_index) if validator.docs_index else None
    for item, submission, verdict in zip(items, submissions, verdicts):
        summary = None
        if verdict.status == "accepted":
            summary = current.summary(verdict.submitter_code, verdict.period, verdict.return_type, verdict.values)
            current.add(verdict.submitter_code, verdict.period, verdict.return_type, verdict.values, item.received_at)
        notice = render_notice(
            item.file_name,
            item.sha256,
            verdict,
            reference.unit_name.get(verdict.submitter_code or ""),
            item.received_at,
            supersession=summary,
        )
        stem = stored_name(item.sha256, item.file_name)
        (home.notices / f"{stem}.notice.txt").write_text(notice, encoding="utf-8")
        if verdict.status == "rejected":
            (home.quarantine / stem).write_bytes(submission.data)
            (home.quarantine / f"{stem}.notice.txt").write_text(notice, encoding="utf-8")
            report.rejected[item.file_name] = verdict.issues[0].describe()
        else:
            report.accepted.append(item.file_name)
            report.warned += any(i.severity != ERROR for i in verdict.issues)
        report.rows_in += len(verdict.values)
    _record(home, items, verdicts)
    with connect(home.warehouse) as con:  # a return for a final period is held, not scored
        report.held = hold_returns_for_final_periods(home, con)
    return report


def check_file(
    home: Home, reference: Reference, file_name: str, data: bytes, landed_at: datetime | None = None
) -> tuple[Verdict, str]:
    """Verdict and notice for one file as if it landed at `landed_at` (default now), without
    ingesting it (`wuxing validate`)."""
    now = datetime.now(UTC)
    current = current_values(home)
    (verdict,), _ = judge(
        [Submission(file_name, data, landed_at or now)],
        ReturnValidator(reference),
        load_history(home),
        current.reported,
    )
    summary = (
        current.summary(verdict.submitter_code, verdict.period, verdict.return_type, verdict.values)
        if verdict.status == "accepted"
        else None
    )
    notice = render_notice(
        file_name,
        hashlib.sha256(data).hexdigest(),
        verdict,
        reference.unit_name.get(verdict.submitter_code or ""),
        now,
        supersession=summary,
    )
    return verdict, notice
