"""The rectification return (整改情况报送表): a unit reports, per ledger item, the measures taken,
whether it is done, when, and the evidence, in a workbook from `wuxing template --kind
rectification`, dropped in landing/ like every return. It is archived, validated by its own GX
suite (expectations/rectification_return.json) and rejected with a Chinese notice naming each
cell and its fix; accepted rows become `report` actions in the ledger, which the office then
closes (销号) or sends back (`wuxing rectify close|send-back`).

Kept apart from the value returns (its own layout, suite and raw table) so that its rules can
move into the one catalogue of return rules as they are."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from orchestration.clock import BEIJING
from orchestration.home import Home
from orchestration.rectification import report_from_return
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.archive import ArchivedFile, stored_name
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.notice import render_notice
from orchestration.returns.readers import ZIP_MAGIC, NotReadable, read_calamine, read_text, sniff
from orchestration.returns.validate import ReturnValidator, SuiteRun, Verdict
from orchestration.returns.values import clean_text
from orchestration.warehouse import connect, table_exists

KIND = "rectification"
SUITE = "rectification_return"
TEMPLATE_VERSION = "ZG-v1"
SHEET = "整改情况"
COL_ITEM, COL_PROBLEM, COL_DEADLINE = "台账编号", "问题", "整改期限"
COL_MEASURES, COL_DONE, COL_DATE, COL_EVIDENCE = "整改措施", "是否完成", "完成日期", "佐证材料"
HEADER = (layout.COL_SEQ, COL_ITEM, COL_PROBLEM, COL_DEADLINE, COL_MEASURES, COL_DONE, COL_DATE, COL_EVIDENCE)
INPUTS = (COL_MEASURES, COL_DONE, COL_DATE, COL_EVIDENCE)
FIELD_OF = {
    COL_ITEM: "item_id",
    COL_MEASURES: "measures",
    COL_DONE: "done",
    COL_DATE: "completion_date",
    COL_EVIDENCE: "evidence",
}

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.rectification_returns (
    sha256 varchar primary key,
    file_name varchar not null,
    archive_path varchar not null,
    received_at timestamp not null,
    submitter_code varchar,
    period varchar,
    status varchar not null,
    items_reported bigint not null,
    reasons varchar
);
"""

OPEN_ITEMS_SQL = """
select item_id, problem, deadline from intermediate.int_rectification_items_resolved
where unit_code = ? and status <> 'closed' order by deadline, item_id
"""


@dataclass
class ParsedRectification:
    """A rectification return as read: who, for which quarter, and one record per data row."""

    file_name: str
    submitter_code: str
    period: str
    rows: list[dict[str, object]]


def write_rectification_template(
    path: Path, unit_code: str, period: str, reference: Reference, items: list[tuple[str, str, date]]
) -> Path:
    """The unit's workbook for `period`, one row per open ledger item (item id, problem, deadline)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"模板须为 .xlsx 文件 / the template must be an .xlsx file: {path.name}")
    if unit_code not in reference.unit_tier:
        raise ValueError(f"未知的被考核单位代码 {unit_code!r}，请核对 units.csv / unknown unit code")
    if not re.fullmatch(r"[0-9]{4}Q[1-4]", period):
        raise ValueError(f"报告期格式应为 2025Q1: {period}")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    name = reference.unit_name[unit_code]
    sheet.append([f"{name}{layout.period_zh(period)}整改台账整改情况报送表"])
    sheet.append([*layout.meta_row(unit_code, name, period)[:-1], TEMPLATE_VERSION])
    sheet.append([])
    sheet.append(list(HEADER))
    for seq, (item_id, problem, deadline) in enumerate(items, start=1):
        sheet.append([seq, item_id, problem, str(deadline), None, None, None, None])
    last = layout.FIRST_DATA_ROW + max(len(items), 1) - 1
    letter = {column: get_column_letter(HEADER.index(column) + 1) for column in HEADER}
    done = DataValidation(
        type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True, error="请选择「是」或「否」"
    )
    done.add(f"{letter[COL_DONE]}{layout.FIRST_DATA_ROW}:{letter[COL_DONE]}{last}")
    when = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="36526",
        allow_blank=True,
        showErrorMessage=True,
        error="请填写日期，如 2025-03-01",
    )
    when.add(f"{letter[COL_DATE]}{layout.FIRST_DATA_ROW}:{letter[COL_DATE]}{last}")
    sheet.add_data_validation(done)
    sheet.add_data_validation(when)
    fill = PatternFill("solid", fgColor="FFF9E5")
    for row in sheet.iter_rows(min_row=layout.FIRST_DATA_ROW, max_row=last, max_col=len(HEADER)):
        for cell in row:
            if HEADER[cell.column - 1] in INPUTS:
                cell.fill, cell.protection = fill, Protection(locked=False)
            if HEADER[cell.column - 1] == COL_DATE:
                cell.number_format = "yyyy-mm-dd"
    for cell in sheet[layout.HEADER_ROW]:
        cell.font, cell.alignment = Font(bold=True), Alignment(horizontal="center")
    for column, width in (
        (COL_ITEM, 28),
        (COL_PROBLEM, 40),
        (COL_DEADLINE, 12),
        (COL_MEASURES, 40),
        (COL_DONE, 10),
        (COL_DATE, 12),
        (COL_EVIDENCE, 30),
    ):
        sheet.column_dimensions[letter[column]].width = width
    sheet.protection.sheet = True
    notes = workbook.create_sheet(layout.INSTRUCTIONS_SHEET)
    for line in (
        "每个未销号的整改事项一行（台账编号、问题、整改期限已预填，请勿改动）。",
        "「整改措施」必填；「是否完成」填「是」或「否」；已完成的须填「完成日期」（如 2025-03-01）和「佐证材料」"
        "（文件名、文号或链接；材料另行报送考核办）。",
        "填好后放入收文目录（landing）报送；校验不通过的退回通知会写明哪个单元格、如何修改。",
        "考核办审核后销号或退回；退回的事项请在下次报送中重新填报。",
    ):
        notes.append([line])
    workbook.save(path)
    return path


def open_items(warehouse: Path, unit_code: str) -> list[tuple[str, str, date]]:
    """The unit's ledger items not closed yet (id, problem, deadline), from the warehouse."""
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "intermediate", "int_rectification_items_resolved"):
            return []
        return con.execute(OPEN_ITEMS_SQL, [unit_code]).fetchall()


def _date_text(cell: object) -> str | None:
    """A completion date cell as YYYY-MM-DD when it is one, else the text as typed (None if empty)."""
    if isinstance(cell, datetime | date):
        return cell.strftime("%Y-%m-%d")
    text = clean_text(cell)
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if found:
        try:
            return date(*map(int, found.groups())).isoformat()
        except ValueError:
            return text
    return text or None


def _mentions_item_column(data: bytes) -> bool:
    """Cheap first look: whether 台账编号 appears in the file's text (the shared strings, sheets or
    content of a zipped workbook, also as XML character references; the bytes of an .xls or a text
    file), so a value return is not parsed twice."""
    marks = [COL_ITEM.encode(encoding) for encoding in ("utf-8", "utf-16-le", "gb18030")]
    marks += [
        "".join(f"&#{ord(ch)};" for ch in COL_ITEM).encode(),  # XML character references
        "".join(f"&#x{ord(ch):x};" for ch in COL_ITEM).encode(),
        "".join(f"&#x{ord(ch):X};" for ch in COL_ITEM).encode(),
    ]
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                texts = [
                    archive.read(name)
                    for name in archive.namelist()
                    if name in ("xl/sharedStrings.xml", "content.xml") or name.startswith("xl/worksheets/")
                ]
        except Exception:  # noqa: BLE001 - a broken archive is the value-return path's to refuse
            return False
        return any(mark in text for mark in marks for text in texts)
    return any(mark in data for mark in marks)


def read_rectification(file_name: str, data: bytes) -> ParsedRectification | None:
    """The file as a rectification return, or None when it is not one (no 台账编号 header)."""
    if not _mentions_item_column(data):
        return None
    try:
        kind = sniff(data, Path(file_name).suffix.lower())
        sheets = read_text(data) if kind in ("csv", "utf16_text") else read_calamine(data, kind)
    except (NotReadable, Exception):  # noqa: BLE001 - not ours to judge: the value-return path refuses it
        return None
    for sheet in sheets:
        rows = [[clean_text(c) for c in row] for row in sheet.rows]
        header_at = next((i for i, row in enumerate(rows) if COL_ITEM in row and COL_MEASURES in row), None)
        if header_at is None:
            continue
        meta = {}
        for row in rows[:header_at]:
            for i, cell in enumerate(row[:-1]):
                if cell in layout.META_LABELS:
                    meta[cell] = row[i + 1]
        col = {name: i for i, name in enumerate(rows[header_at]) if name}
        records = []
        for number, (raw, row) in enumerate(
            zip(sheet.rows[header_at + 1 :], rows[header_at + 1 :]), start=header_at + 2
        ):
            if not any(row[col[c]] for c in (COL_ITEM, *INPUTS) if c in col and col[c] < len(row)):
                continue

            def cell(name: str, row=row) -> str | None:
                i = col.get(name)
                return (row[i] or None) if i is not None and i < len(row) else None

            date_index = col.get(COL_DATE)
            records.append(
                {
                    "sheet": sheet.name,
                    "source_row": number,
                    "item_id": (cell(COL_ITEM) or "").upper(),
                    "measures": cell(COL_MEASURES),
                    "done": cell(COL_DONE),
                    "completion_date": _date_text(raw[date_index])
                    if date_index is not None and date_index < len(raw)
                    else None,
                    "evidence": cell(COL_EVIDENCE),
                }
            )
        return ParsedRectification(
            file_name, meta.get(layout.META_UNIT_CODE, ""), meta.get(layout.META_PERIOD, "").upper(), records
        )
    return None


def _frame(parsed: ParsedRectification, landed: date) -> pd.DataFrame:
    frame = pd.DataFrame(
        parsed.rows, columns=["sheet", "source_row", "item_id", "measures", "done", "completion_date", "evidence"]
    )
    frame["row_id"] = range(len(frame))
    frame["submitter_code"] = parsed.submitter_code
    frame["period"] = parsed.period
    frame["ledger_key"] = parsed.submitter_code + ":" + frame["item_id"].astype(str)
    done = frame["done"] == "是"  # what a finished item must carry (else a placeholder that passes)
    frame["date_when_done"] = frame["completion_date"].where(done, "-")
    frame["evidence_when_done"] = frame["evidence"].where(done, "-")
    frame["date_in_future"] = [
        bool(d) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)) and d > landed.isoformat()
        for d in frame["completion_date"].fillna("")
    ]
    return frame.astype({"source_row": "int64"})


def _issues(result, frame: pd.DataFrame) -> list[Issue]:
    """Failing rows of the suite's result as Issues naming the cell (e.g. E7) and its fix."""
    found: list[Issue] = []
    records = frame.to_dict("index")
    for outcome in result.results:
        if outcome.success:
            continue
        meta = outcome.expectation_config.meta
        hits = outcome.result.get("unexpected_index_list") or []
        for hit in hits[:1] if meta["scope"] == "file" else hits:
            row = records[hit["row_id"]]
            column = HEADER.index(meta["column_zh"]) + 1 if meta["column_zh"] in HEADER else None
            cell = f"{get_column_letter(column)}{row['source_row']}" if column else meta["column_zh"]
            fields = {**{k: ("" if v is None or v != v else v) for k, v in row.items()}, "cell": cell}
            seen = fields.get(FIELD_OF.get(meta["column_zh"], ""), "")
            found.append(
                Issue(
                    meta["rule"],
                    meta["severity"],
                    meta["message_zh"].format(**fields),
                    meta["fix_zh"].format(**fields),
                    row["sheet"],
                    None if meta["scope"] == "file" else int(row["source_row"]),
                    meta["column_zh"],
                    str(seen),
                )
            )
    return sorted(found, key=lambda issue: (issue.source_row or 0, issue.rule))


def validate_rectification(
    parsed: ParsedRectification, landed: date, validator: ReturnValidator, open_keys: list[str]
) -> tuple[list[Issue], SuiteRun | None]:
    """Run the rectification suite on one return; the unit's open ledger items are the $PARAMETER
    open_ledger_keys ('<unit>:<item>')."""
    if not parsed.rows:
        return [
            Issue(
                "zg_no_rows",
                ERROR,
                "表中没有填报任何整改事项",
                "请在「整改情况」表的台账事项行填写整改措施等内容后重新报送",
            )
        ], None
    frame = _frame(parsed, landed)
    validator.checker.parameters["open_ledger_keys"] = sorted(open_keys)  # this suite's own parameter
    result = validator.checker.run(SUITE, frame)
    failed = [o.expectation_config.meta["rule"] for o in result.results if not o.success]
    issues = _issues(result, frame)
    return issues, SuiteRun(SUITE, 1, len(frame), len(result.results), failed, int(bool(failed)), result)


def _open_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not table_exists(con, "intermediate", "int_rectification_items_resolved"):
        return []
    return [
        row[0]
        for row in con.execute(
            "select unit_code || ':' || item_id from "
            "intermediate.int_rectification_items_resolved where status <> 'closed'"
        ).fetchall()
    ]


def without_judged(home: Home, items: list[ArchivedFile]) -> list[ArchivedFile]:
    """The archived files less the rectification returns judged already (raw.rectification_returns)."""
    with connect(home.warehouse) as con:
        con.execute(RAW_DDL)
        known = {row[0] for row in con.execute("select sha256 from raw.rectification_returns").fetchall()}
    return [item for item in items if item.sha256 not in known]


def take_rectification_returns(
    home: Home,
    reference: Reference,
    items: list[ArchivedFile],
    validator: ReturnValidator,
) -> tuple[list[ArchivedFile], dict[str, Verdict], list[SuiteRun]]:
    """Judge the rectification returns among archived files without a verdict: write their
    notices, quarantine the rejected, record them in raw.rectification_returns and each accepted
    row as a `report` in the ledger. Returns the other files, the verdicts by file name and the
    suite runs."""
    with connect(home.warehouse) as con:
        open_keys = _open_keys(con)
    rest, verdicts, runs = [], {}, []
    for item in items:
        try:
            data = item.read()
            parsed = read_rectification(item.file_name, data)
        except Exception:  # unreadable or unparsable: the general intake's fault boundary refuses it
            parsed = None
        if parsed is None:
            rest.append(item)
            continue
        issues, run = validate_rectification(parsed, item.landed_at.astimezone(BEIJING).date(), validator, open_keys)
        runs += [run] if run else []
        verdict = Verdict(KIND, parsed.submitter_code or None, parsed.period or None, pd.DataFrame(), issues)
        verdicts[item.file_name] = verdict
        accepted = verdict.status == "accepted"
        summary = (
            f"已记入整改台账 {len(parsed.rows)} 项，待考核办审核销号 / {len(parsed.rows)} ledger item(s) reported"
            if accepted
            else None
        )
        notice = render_notice(
            item.file_name,
            item.sha256,
            verdict,
            reference.unit_name.get(parsed.submitter_code),
            item.received_at,
            supersession=summary,
        )
        stem = stored_name(item.sha256, item.file_name)
        (home.notices / f"{stem}.notice.txt").write_text(notice, encoding="utf-8")
        if not accepted:
            (home.quarantine / stem).write_bytes(data)
            (home.quarantine / f"{stem}.notice.txt").write_text(notice, encoding="utf-8")
        archive_path = str(item.path.relative_to(home.root))
        with connect(home.warehouse) as con:
            con.execute("begin")
            con.execute(
                "insert into raw.rectification_returns values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    item.sha256,
                    item.file_name,
                    archive_path,
                    item.received_at.replace(tzinfo=None),
                    parsed.submitter_code,
                    parsed.period,
                    verdict.status,
                    len(parsed.rows) if accepted else 0,
                    "\n".join(i.describe() for i in issues),
                ],
            )
            for row in parsed.rows if accepted else []:
                report_from_return(
                    con,
                    row["item_id"],
                    parsed.submitter_code,
                    row["measures"],
                    row["done"] == "是",
                    item.sha256,
                    archive_path,
                    f"整改情况报送表 {item.file_name} 第 {row['source_row']} 行；完成日期 "
                    f"{row['completion_date'] or '—'}；佐证材料：{row['evidence'] or '—'}",
                )
            con.execute("commit")
    return rest, verdicts, runs
