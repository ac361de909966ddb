"""Reading a return file (xlsx, xls, ods or csv) into its metadata and a long table of values."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.returns import layout
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.readers import (
    KIND_ZH,
    ZIP_MAGIC,
    NotReadable,
    Row,
    Sheet,
    extension_matches,
    read_calamine,
    read_text,
    sniff,
)
from orchestration.returns.rules import catalogue
from orchestration.returns.settings import ValidationSettings
from orchestration.returns.values import clean_text, is_placeholder, is_withdrawal, parse_number


@dataclass
class ParsedReturn:
    """A return as read: its metadata as typed, its data rows, and problems that stop reading."""

    file_name: str
    sheet: str | None = None
    return_type: str | None = None
    submitter_text: str = ""
    period_text: str = ""
    template_version: str = ""
    # One dict per data row: source_row, unit_text, indicator_code, value_text, value, placeholder,
    # withdrawn (the cell says 撤回), formula (the text of a formula with no stored result, else '').
    rows: list[dict[str, object]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # problems that stop reading
    notes: list[Issue] = field(default_factory=list)  # warnings found while reading (the file is read)


def _header_index(rows: list[Row], need_value: bool = True) -> int | None:
    """0-based index of the header row: the first row with an 指标代码 cell (and, with
    `need_value`, a 填报值 cell, which the 填报说明 sheet's tables lack)."""
    for i, row in enumerate(rows):
        labels = {clean_text(c) for c in row}
        if layout.COL_INDICATOR_CODE in labels and (not need_value or layout.COL_VALUE in labels):
            return i
    return None


def _label(cell: str) -> tuple[str, str] | None:
    """A metadata label cell -> (label, value typed in the same cell, e.g. 填报单位：南昌县)."""
    for label in sorted(layout.META_LABELS, key=len, reverse=True):
        if cell.startswith(label):
            rest = cell[len(label) :]
            if not rest or rest[0] in ":：":
                return label, rest.lstrip(":：").strip()
    return None


def _meta(rows: list[Row]) -> dict[str, str]:
    """Label -> value for the metadata cells above the header: the rest of the label's cell, else
    the next filled cell unless that is another label (an empty code cell is empty, not a label)."""
    found: dict[str, str] = {}
    for row in rows:
        cells = [clean_text(c) for c in row]
        for i, cell in enumerate(cells):
            labelled = _label(cell)
            if labelled is None or labelled[0] in found:
                continue
            label, value = labelled
            if not value:
                following = next((v for v in cells[i + 1 :] if v), "")
                value = "" if _label(following) else following
            found[label] = value
    return found


def _is_signature(cells: list[str]) -> bool:
    """True for the notes and signature block below the data (注：…, 填表人：…, （盖章）)."""
    first = next((c for c in cells if c), "")
    return any(first.startswith(label) for label in layout.SIGNATURE_LABELS)


_HEADER_LABELS = frozenset(layout.UNIT_HEADER + layout.EVALUATION_HEADER)


def _header(rows: list[Row], header_at: int) -> tuple[list[str], int]:
    """Column labels and the 0-based index of the first data row.

    A header of two rows (merged cells such as 本期数据 over 填报值 | 备注) is read as one: a label
    in the second row names its column.
    """
    labels = [clean_text(c) for c in rows[header_at]]
    below = [clean_text(c) for c in rows[header_at + 1]] if header_at + 1 < len(rows) else []
    if any(cell in _HEADER_LABELS for cell in below):
        width = max(len(labels), len(below))
        labels += [""] * (width - len(labels))
        labels = [below[i] if i < len(below) and below[i] in _HEADER_LABELS else labels[i] for i in range(width)]
        return labels, header_at + 2
    return labels, header_at + 1


def _data_rows(sheet: Sheet, header_at: int) -> list[dict[str, object]]:
    """The data rows under the header as records, stopping at the signature block."""
    header, first = _header(sheet.rows, header_at)
    col = {name: i for i, name in enumerate(header) if name}
    records = []
    for offset, row in enumerate(sheet.rows[first:], start=first + 1):
        cells = [clean_text(c) for c in row]
        if not any(cells):
            continue
        if _is_signature(cells):
            break

        def cell(name: str) -> object:
            i = col.get(name)
            return row[i] if i is not None and i < len(row) else None

        value_cell = cell(layout.COL_VALUE)
        value_text = clean_text(value_cell)
        percent = (offset, col.get(layout.COL_VALUE, -1)) in sheet.percent_cells
        formula = sheet.formulas.get((offset, col.get(layout.COL_VALUE, -1)), "")
        records.append(
            {
                "source_row": offset,
                "unit_text": clean_text(cell(layout.COL_TARGET_UNIT_CODE)),
                "indicator_code": clean_text(cell(layout.COL_INDICATOR_CODE)).upper(),
                "value_text": value_text,
                "value": parse_number(value_cell, percent_format=percent),
                "placeholder": is_placeholder(value_text),
                "withdrawn": is_withdrawal(value_text),
                "formula": formula,
            }
        )
    return records


def _structural(file_name: str, rule_id: str, **fields: object) -> ParsedReturn:
    """A return that could not be read, with the one reason why (worded by the rule catalogue)."""
    return ParsedReturn(file_name=file_name, issues=[catalogue().issue(rule_id, **fields)])


_UNSAFE_NAME = re.compile(r"[\\/\x00-\x1f]|^\.\.?$|^\.\.|\.\.$")


def _gate(file_name: str, data: bytes, settings: ValidationSettings) -> ParsedReturn | None:
    """Refuse, before reading, names that point outside landing/, oversized files and zip bombs."""
    if _UNSAFE_NAME.search(file_name):
        return _structural(file_name, "unsafe_file_name")
    if len(data) > settings.max_file_bytes:
        return _structural(file_name, "file_too_large", size=len(data), limit=settings.max_file_bytes)
    if data.startswith(ZIP_MAGIC):  # any zip (.xlsx, .ods, or one renamed), whatever its name
        try:
            unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None  # reading will report it as unreadable
        if unpacked > settings.max_unpacked_bytes or unpacked > settings.max_compression_ratio * len(data):
            return _structural(file_name, "zip_bomb", unpacked=unpacked)
        member = _entity_declaring_member(data)
        if member:
            return _structural(file_name, "xml_entities", member=member)
    return None


_ENTITY_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _entity_declaring_member(data: bytes) -> str | None:
    """The first XML member of a workbook that declares a DOCTYPE or an entity, before any XML
    parser sees it (zero bytes are dropped so UTF-16 members are caught too); None if none does.
    Called after the zip-bomb check, so the members' unpacked size is bounded."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith((".xml", ".rels", ".vml")) and _ENTITY_DECLARATION.search(
                    archive.read(info).replace(b"\0", b"")
                ):
                    return info.filename
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError):
        return None  # a damaged member: reading reports the file as unreadable
    return None


def _data_sheet(sheets: list[Sheet]) -> tuple[Sheet, int] | None:
    """The sheet holding the data, chosen by content: a header row with 指标代码 and 填报值 (the
    sheet named 填报表 first, then the one with most rows under its header); failing that, a sheet
    with an 指标代码 header other than the instructions, so the notice names the missing column."""
    full = [(s, i) for s in sheets if (i := _header_index(s.rows)) is not None]
    if full:
        return max(full, key=lambda c: (c[0].name == layout.DATA_SHEET, len(c[0].rows) - c[1]))
    partial = [(s, i) for s in sheets if (i := _header_index(s.rows, need_value=False)) is not None]
    partial.sort(key=lambda c: c[0].name == layout.INSTRUCTIONS_SHEET)
    return partial[0] if partial else None


def parse_return(file_name: str, data: bytes, settings: ValidationSettings) -> ParsedReturn:
    """Read a return's bytes; problems that stop reading become issues, never exceptions."""
    refused = _gate(file_name, data, settings)
    if refused is not None:
        return refused
    if not data.strip():
        return _structural(file_name, "empty_file")
    suffix = Path(file_name).suffix.lower()
    try:
        kind = sniff(data, suffix)
        if kind in ("xlsx", "xls", "ods"):
            sheets = read_calamine(data, kind)
        else:
            sheets = read_text(data)
    except NotReadable as refused:
        return ParsedReturn(
            file_name=file_name, issues=[Issue(refused.rule, ERROR, refused.message_zh, refused.fix_zh)]
        )
    except Exception as error:  # noqa: BLE001 - any reader failure is a notice, never a traceback
        if "password" in type(error).__name__.lower() or "password" in str(error).lower():
            return _structural(file_name, "password_protected")
        return _structural(file_name, "unreadable")
    notes = (
        []
        if extension_matches(kind, suffix)
        else [catalogue().issue("wrong_extension", suffix=suffix or "无", kind_zh=KIND_ZH[kind])]
    )
    chosen = _data_sheet(sheets)
    if chosen is None:
        return _structural(file_name, "no_header", column=layout.COL_INDICATOR_CODE)
    sheet, header_at = chosen
    header = set(_header(sheet.rows, header_at)[0])
    meta = _meta(sheet.rows[:header_at])
    parsed = ParsedReturn(
        file_name=file_name,
        sheet=sheet.name,
        return_type=(
            layout.RETURN_TYPE_EVALUATION if layout.COL_TARGET_UNIT_CODE in header else layout.RETURN_TYPE_UNIT
        ),
        submitter_text=meta.get(layout.META_UNIT_CODE) or meta.get(layout.META_UNIT_NAME, ""),
        period_text=meta.get(layout.META_PERIOD, ""),
        template_version=meta.get(layout.META_TEMPLATE, ""),
        notes=notes,
    )
    if layout.COL_VALUE not in header:
        parsed.issues.append(
            catalogue().issue("no_value_column", column=layout.COL_VALUE, sheet=sheet.name, source_row=header_at + 1)
        )
        return parsed
    parsed.rows = _data_rows(sheet, header_at)
    if not parsed.rows:
        parsed.issues.append(catalogue().issue("no_data", sheet=sheet.name))
    return parsed
