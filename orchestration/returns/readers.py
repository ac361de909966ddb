"""What a return file really is (by its bytes, not its name), and reading each kind into sheets.

.xlsx, .xls and .ods are read with python-calamine (cached formula results). It exposes no number
formats, so the percent cells (a 0.855 in a percent cell is 85.5) come from the styles and sheet XML
for .xlsx, from xlrd for .xls and from the content XML for .ods; the text of a formula with no
stored result (openpyxl) is kept for the notice only.
CSV and Excel's "Unicode text" (UTF-16, tab-separated) as one sheet.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from openpyxl import load_workbook

from orchestration.returns import layout

Row = list[object]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Sheet:
    """One sheet as rows of cell values, which cells are formatted as percent, and the formula text
    of formula cells whose result is not stored (never a value; only for the notice)."""

    name: str
    rows: list[Row]
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


class NotReadable(Exception):
    """A file wuxing does not read, with what it is (Chinese) and how to re-save it."""

    def __init__(self, rule: str, message_zh: str, fix_zh: str) -> None:
        super().__init__(message_zh)
        self.rule, self.message_zh, self.fix_zh = rule, message_zh, fix_zh


RESAVE = "请用 Excel 或 WPS 打开后「另存为」Excel 工作簿（*.xlsx），用新文件重新报送"


def _ole_streams(data: bytes) -> set[str]:
    """Names of the streams in an OLE compound file (read from its directory sectors)."""
    import struct

    if len(data) < 512:
        return set()
    sector_size = 1 << struct.unpack_from("<H", data, 30)[0]
    first_dir = struct.unpack_from("<I", data, 48)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]

    def sector(n: int) -> bytes:
        start = (n + 1) * sector_size
        return data[start : start + sector_size]

    fat: list[int] = []
    for n in fat_sectors:
        block = sector(n)
        fat += struct.unpack(f"<{len(block) // 4}I", block)
    names, current, seen = set(), first_dir, set()
    while current < 0xFFFFFFFA and current not in seen and len(seen) < 10_000:
        seen.add(current)
        block = sector(current)
        for at in range(0, len(block) - 127, 128):
            length = struct.unpack_from("<H", block, at + 64)[0]
            if 2 <= length <= 64:
                names.add(block[at : at + length - 2].decode("utf-16-le", errors="replace"))
        current = fat[current] if current < len(fat) else 0xFFFFFFFE
    return names


def _macro_workbook() -> NotReadable:
    """A macro-enabled workbook is never taken in (its macros are never run either)."""
    return NotReadable(
        "macro_workbook",
        "这是启用宏的工作簿（.xlsm），含宏的文件不予受理",
        "请在 Excel 或 WPS 中「另存为」Excel 工作簿（*.xlsx，不含宏），用新文件重新报送",
    )


def sniff(data: bytes, suffix: str) -> str:
    """The kind of a file from its first bytes: xlsx, ods, xls, utf16_text or csv; raises
    NotReadable, saying what the file is, for everything wuxing does not read."""
    head = data[:2048].lstrip()
    if suffix == ".et":
        raise NotReadable(
            "wps_et",
            "这是 WPS 表格专用格式（.et）的文件",
            "请在 WPS 中「文件 → 另存为」，文件类型选「Excel 工作簿（*.xlsx）」，用新文件重新报送",
        )
    if suffix in (".xlsm", ".xltm"):
        raise _macro_workbook()
    if data.startswith(ZIP_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise NotReadable("unreadable", "文件无法打开或已损坏（压缩包结构不完整）", RESAVE) from None
        if "xl/vbaProject.bin" in names:
            raise _macro_workbook()
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names and b"opendocument.spreadsheet" in data[:200]:
            return "ods"
        if "word/document.xml" in names:
            raise NotReadable(
                "not_a_spreadsheet", "这是 Word 文档（.docx），不是表格", "请把数据填入填报模板（.xlsx）后报送"
            )
        if "ppt/presentation.xml" in names:
            raise NotReadable(
                "not_a_spreadsheet", "这是 PowerPoint 演示文稿，不是表格", "请把数据填入填报模板（.xlsx）后报送"
            )
        raise NotReadable(
            "not_a_spreadsheet", "这是一个压缩包（.zip），不是表格", "请解压后只报送其中的填报表（.xlsx）"
        )
    if data.startswith(OLE_MAGIC):
        streams = _ole_streams(data)
        if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
            raise NotReadable(
                "password_protected",
                "工作簿设置了打开密码（已加密），无法读取",
                "请在 Excel 或 WPS 中「文件 → 信息 → 保护工作簿 → 用密码进行加密」清除密码"
                "（WPS：「文件 → 文档加密」），保存后重新报送",
            )
        if "WordDocument" in streams:
            raise NotReadable(
                "not_a_spreadsheet", "这是 Word 文档（.doc），不是表格", "请把数据填入填报模板（.xlsx）后报送"
            )
        if "Workbook" in streams or "Book" in streams:
            return "xls"
        raise NotReadable("unreadable", "这是 Office 复合文档，但其中没有工作簿", RESAVE)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16_text"
    text_head = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    lowered = text_head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"mime-version")) or b"<html" in lowered:
        raise NotReadable(
            "html_as_spreadsheet",
            "这是网页（HTML）文件，只是扩展名改成了表格（常见于从网站或系统「导出 Excel」得到的文件）",
            "请用 Excel 或 WPS 打开后「另存为」Excel 工作簿（*.xlsx），用新文件重新报送",
        )
    if data.startswith(b"%PDF"):
        raise NotReadable(
            "not_a_spreadsheet", "这是 PDF 文件，不是表格", "请报送填报模板（.xlsx），不要报送扫描件或 PDF"
        )
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise NotReadable("not_a_spreadsheet", "这是图片，不是表格", "请报送填报模板（.xlsx），不要报送截图或照片")
    if suffix in (".xlsx", ".xls", ".ods"):
        if b"\x00" in data[:1024]:
            raise NotReadable("unreadable", "文件无法打开或已损坏", RESAVE)
        return "csv"  # a text file renamed to a workbook: read as the text it is
    return "csv"


_KIND_SUFFIXES = {
    "xlsx": (".xlsx",),
    "xls": (".xls",),
    "ods": (".ods",),
    "csv": (".csv", ".txt"),
    "utf16_text": (".csv", ".txt"),
}
KIND_ZH = {
    "xlsx": "Excel 工作簿（.xlsx）",
    "xls": "Excel 97-2003 工作簿（.xls）",
    "ods": "OpenDocument 表格（.ods）",
    "csv": "文本（CSV）文件",
    "utf16_text": "Unicode 文本（制表符分隔）文件",
}


def extension_matches(kind: str, suffix: str) -> bool:
    """Whether a file's extension names what its bytes are."""
    return suffix in _KIND_SUFFIXES[kind]


def decode_text(data: bytes) -> str:
    """Decode text bytes: a BOM decides (UTF-8, UTF-16), else strict UTF-8, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_text(data: bytes) -> list[Sheet]:
    """A CSV, or a tab-separated "Unicode text" export, as one sheet; a cell starting with = is a
    formula whose result the text does not hold."""
    text = decode_text(data)
    sample = text[:20_000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows: list[Row] = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    formulas = {}
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and cell.startswith("=") and len(cell) > 1:
                formulas[(r, c)] = cell
                row[c] = None
    return [Sheet(name=layout.DATA_SHEET, rows=rows, formulas=formulas)]


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >]")


def _add_uncached_formulas(data: bytes, sheets: list[Sheet]) -> None:
    """The formula text of formula cells with no stored result (a file saved by a program that
    does not calculate), for the notice."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    by_name = {s.name: s for s in sheets}
    for worksheet in workbook.worksheets:
        sheet = by_name.get(worksheet.title)
        if sheet is None:
            continue
        for r, row in enumerate(worksheet.iter_rows(), start=1):
            for c, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if (
                    isinstance(value, str)
                    and value.startswith("=")
                    and r <= len(sheet.rows)
                    and c < len(sheet.rows[r - 1])
                    and sheet.rows[r - 1][c] in (None, "")
                ):
                    sheet.formulas[(r, c)] = value
    workbook.close()


def read_calamine(data: bytes, kind: str) -> list[Sheet]:
    """Every visible sheet of an .xlsx, .xls or .ods workbook (cached formula results; for .xlsx,
    the formula text of formulas without a result, kept aside for the notice)."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    percent = {"ods": _ods_percent_cells, "xls": _xls_percent_cells, "xlsx": _xlsx_percent_cells}[kind](data)
    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        sheets.append(Sheet(name=meta.name, rows=rows, percent_cells=percent.get(meta.name, set())))
    workbook.close()
    if kind == "xlsx":
        archive = zipfile.ZipFile(io.BytesIO(data))
        if any(_FORMULA_TAG.search(archive.read(n)) for n in archive.namelist() if n.startswith("xl/worksheets/")):
            _add_uncached_formulas(data, sheets)
    return sheets


_XLSX_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*)>')
_ATTR = re.compile(rb'\b([st])="([^"]*)"')


def _xlsx_percent_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """Per sheet, the (row, column) of number cells whose style has a percent format (built-in
    formats 9 and 10, or a custom format with %), read from styles.xml and the sheets' XML."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    percent_formats = {9, 10}
    styles: list[int] = []
    if "xl/styles.xml" in names:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
        percent_formats |= {
            int(f.get("numFmtId"))
            for f in root.iterfind("m:numFmts/m:numFmt", ns)
            if "%" in re.sub(r'"[^"]*"|\\.', "", f.get("formatCode", ""))
        }
        styles = [int(xf.get("numFmtId", "0")) for xf in root.iterfind("m:cellXfs/m:xf", ns)]
    percent_styles = {str(i).encode() for i, fmt in enumerate(styles) if fmt in percent_formats}
    targets = {
        rel.get("Id"): rel.get("Target")
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iterfind("p:Relationship", ns)
    }
    found: dict[str, set[tuple[int, int]]] = {}
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iterfind("m:sheets/m:sheet", ns):
        target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        cells: set[tuple[int, int]] = set()
        if percent_styles and path in names:
            for match in _XLSX_CELL.finditer(archive.read(path)):
                attrs = dict(_ATTR.findall(match.group(3)))
                if attrs.get(b"s") in percent_styles and attrs.get(b"t", b"n") == b"n":
                    cells.add((int(match.group(2)), _column_index(match.group(1).decode())))
        found[sheet.get("name")] = cells
    return found


def _column_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xls_percent_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """Per sheet, the (row, column) of number cells formatted as percent (1-based rows); calamine
    does not expose number formats, xlrd reads them from the .xls records."""
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    found: dict[str, set[tuple[int, int]]] = {}
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            cells = set()
            for r in range(sheet.nrows):
                for c, cell in enumerate(sheet.row(r)):
                    if cell.ctype == xlrd.XL_CELL_NUMBER:
                        fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key)
                        if fmt is not None and "%" in fmt.format_str:
                            cells.add((r + 1, c))
            found[sheet.name] = cells
    finally:
        book.release_resources()
    return found


_ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}


def _ods_percent_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """Per sheet, the (row, column) of cells whose value type is percentage (1-based rows)."""
    table, office = (f"{{{_ODS['table']}}}", f"{{{_ODS['office']}}}")
    found: dict[str, set[tuple[int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("content.xml"))
    for sheet in root.iter(f"{table}table"):
        cells: set[tuple[int, int]] = set()
        r = 0
        for row in sheet.iter(f"{table}table-row"):
            repeat_rows = min(int(row.get(f"{table}number-rows-repeated", "1")), 10_000)
            c = 0
            for cell in row:
                repeat = min(int(cell.get(f"{table}number-columns-repeated", "1")), 1_000)
                if cell.get(f"{office}value-type") == "percentage":
                    cells |= {(r + k + 1, c + j) for k in range(repeat_rows) for j in range(repeat)}
                c += repeat
            r += repeat_rows
        found[sheet.get(f"{table}name")] = cells
    return found
