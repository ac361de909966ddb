"""Reading a return file (xlsx or csv) into its metadata and a long table of values."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from orchestration.returns import layout
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.settings import ValidationSettings
from orchestration.returns.values import clean_text, is_placeholder, parse_number

Row = list[object]



@dataclass
class Sheet:
    """One sheet as rows of cell values, and which cells are formatted as percent."""

    name: str
    rows: list[Row]
    percent_cells: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class ParsedReturn:
    """A return as read: its metadata as typed, its data rows, and problems that stop reading."""

    file_name: str
    sheet: str | None = None
    return_type: str | None = None
    submitter_text: str = ""
    period_text: str = ""
    template_version: str = ""
    # One dict per data row: source_row, unit_text, indicator_code, value_text, value, placeholder.
    rows: list[dict[str, object]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """Decode CSV bytes: a BOM decides, else strict UTF-8, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_csv(data: bytes) -> list[Sheet]:
    """A CSV as one sheet."""
    text = _decode(data)
    return [Sheet(name=layout.DATA_SHEET, rows=[list(r) for r in csv.reader(io.StringIO(text))])]


def _read_xlsx(data: bytes) -> list[Sheet]:
    """Every visible sheet of a workbook, with formulas read as their cached values."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = []
    for worksheet in workbook.worksheets:
        if worksheet.sheet_state != "visible":
            continue
        rows: list[Row] = []
        percent: set[tuple[int, int]] = set()
        for r, row in enumerate(worksheet.iter_rows(), start=1):
            values = []
            for c, cell in enumerate(row):
                value = getattr(cell, "value", None)
                values.append(value)
                if isinstance(value, (int, float)) and "%" in (getattr(cell, "number_format", "") or ""):
                    percent.add((r, c))
            rows.append(values)
        sheets.append(Sheet(name=worksheet.title, rows=rows, percent_cells=percent))
    workbook.close()
    return sheets


def _header_index(rows: list[Row]) -> int | None:
    """0-based index of the header row: the first row with an 指标代码 cell."""
    for i, row in enumerate(rows):
        if layout.COL_INDICATOR_CODE in {clean_text(c) for c in row}:
            return i
    return None


def _meta(rows: list[Row]) -> dict[str, str]:
    """Label -> value for the metadata cells above the header (the value is the next filled cell)."""
    found: dict[str, str] = {}
    for row in rows:
        cells = [clean_text(c) for c in row]
        for i, cell in enumerate(cells):
            label = cell.rstrip(":：")
            if label in layout.META_LABELS and label not in found:
                found[label] = next((v for v in cells[i + 1:] if v), "")
    return found


def _is_signature(cells: list[str]) -> bool:
    """True for the signature block below the data (填表人：…)."""
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
        labels = [below[i] if i < len(below) and below[i] in _HEADER_LABELS else labels[i]
                  for i in range(width)]
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
        records.append({
            "source_row": offset,
            "unit_text": clean_text(cell(layout.COL_TARGET_UNIT_CODE)),
            "indicator_code": clean_text(cell(layout.COL_INDICATOR_CODE)).upper(),
            "value_text": value_text,
            "value": parse_number(value_cell, percent_format=percent),
            "placeholder": is_placeholder(value_text),
        })
    return records


def _structural(file_name: str, rule: str, message: str, fix: str) -> ParsedReturn:
    """A return that could not be read, with the one reason why."""
    return ParsedReturn(file_name=file_name, issues=[Issue(rule, ERROR, message, fix)])


_UNSAFE_NAME = re.compile(r"[\\/\x00-\x1f]|^\.\.?$|^\.\.|\.\.$")


def _gate(file_name: str, data: bytes, settings: ValidationSettings) -> ParsedReturn | None:
    """Refuse, before reading, names that point outside landing/, oversized files and zip bombs."""
    if _UNSAFE_NAME.search(file_name):
        return _structural(file_name, "unsafe_file_name", "文件名含路径符号（/ \\ ..）或控制字符",
                           "请只用文字、数字、下划线和点命名文件，如 360124_2024Q4_进贤县.xlsx")
    if len(data) > settings.max_file_bytes:
        return _structural(file_name, "file_too_large",
                           f"文件大小 {len(data):,} 字节，超过上限 {settings.max_file_bytes:,} 字节",
                           "请删除图片、多余工作表和空白行列后重新保存报送")
    if Path(file_name).suffix.lower() == ".xlsx":
        try:
            unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None  # reading will report it as unreadable
        if unpacked > settings.max_unpacked_bytes or unpacked > settings.max_compression_ratio * len(data):
            return _structural(file_name, "zip_bomb",
                               f"工作簿解压后 {unpacked:,} 字节，大小或压缩比异常",
                               "请用 Excel 或 WPS 打开后另存为新的 .xlsx 再报送")
        member = _entity_declaring_member(data)
        if member:
            return _structural(file_name, "xml_entities",
                               f"工作簿的 XML 部件「{member}」含实体声明（DOCTYPE/ENTITY），Excel 与 WPS 从不写入，"
                               "可能是恶意构造的文件", "请用 Excel 或 WPS 打开后另存为新的 .xlsx 再报送")
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
                        archive.read(info).replace(b"\0", b"")):
                    return info.filename
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError):
        return None  # a damaged member: reading reports the file as unreadable
    return None


def parse_return(file_name: str, data: bytes, settings: ValidationSettings) -> ParsedReturn:
    """Read a return's bytes; problems that stop reading become issues, never exceptions."""
    refused = _gate(file_name, data, settings)
    if refused is not None:
        return refused
    if not data.strip():
        return _structural(file_name, "empty_file", "文件为空", "请用填报模板填写后重新报送")
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix == ".xlsx":
            sheets = _read_xlsx(data)
        elif suffix == ".csv":
            sheets = _read_csv(data)
        else:
            return _structural(file_name, "unsupported_format", f"不支持的文件类型「{suffix or '无扩展名'}」",
                               "请报送 .xlsx 工作簿或 .csv 文件")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, UnicodeDecodeError, csv.Error):
        return _structural(file_name, "unreadable", "文件无法打开或已损坏",
                           "请用 Excel 或 WPS 重新保存为 .xlsx（或 UTF-8 编码的 .csv）后重新报送")
    candidates = [(s, _header_index(s.rows)) for s in sheets]
    candidates = [(s, i) for s, i in candidates if i is not None]
    if not candidates:
        return _structural(file_name, "no_header", f"找不到含「{layout.COL_INDICATOR_CODE}」的表头行",
                           "请使用最新填报模板，不要删除或改动表头行")
    sheet, header_at = next(((s, i) for s, i in candidates if s.name == layout.DATA_SHEET), candidates[0])
    header = set(_header(sheet.rows, header_at)[0])
    meta = _meta(sheet.rows[:header_at])
    parsed = ParsedReturn(
        file_name=file_name,
        sheet=sheet.name,
        return_type=(layout.RETURN_TYPE_EVALUATION if layout.COL_TARGET_UNIT_CODE in header
                     else layout.RETURN_TYPE_UNIT),
        submitter_text=meta.get(layout.META_UNIT_CODE) or meta.get(layout.META_UNIT_NAME, ""),
        period_text=meta.get(layout.META_PERIOD, ""),
        template_version=meta.get(layout.META_TEMPLATE, ""),
    )
    if layout.COL_VALUE not in header:
        parsed.issues.append(Issue("no_header", ERROR, f"表头缺少「{layout.COL_VALUE}」列",
                                   "请使用最新填报模板，不要删除或改名表头各列", sheet=sheet.name,
                                   source_row=header_at + 1))
        return parsed
    parsed.rows = _data_rows(sheet, header_at)
    if not parsed.rows:
        parsed.issues.append(Issue("no_data", ERROR, "表头下没有任何数据行",
                                   "请在表头下逐行填写各指标的数值后重新报送", sheet=sheet.name))
    return parsed
