"""Write a return grid (template v1, see docs/architecture.md "Return files") to .xlsx or .csv."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from orchestration.returns import layout
from orchestration.spreadsheet_safety import csv_text, is_formula_like, xlsx_cell

Cell = str | float | int | None
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
_BOLD = Font(bold=True)


def _csv_text(value: Cell) -> str:
    """A cell as a clerk would have typed it: 85, 85.3, '' for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _display_width(value: Cell) -> int:
    """Approximate on-screen width: wide (CJK) characters count twice."""
    text = _csv_text(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def return_grid(
    return_type: str,
    submitter_code: str,
    submitter_name: str,
    period: str,
    rows: Sequence[Sequence[Cell]],
    signature: tuple[str, str, str] = ("", "", ""),
) -> list[list[Cell]]:
    """The full grid of a return, title row to signature row, as lists of cells."""
    person, phone, date = signature
    sign = [f"{label}：{text}" for label, text in zip(layout.SIGNATURE_LABELS, (person, phone, date))]
    return [
        [layout.title_for(submitter_name, period)],
        list(layout.meta_row(submitter_code, submitter_name, period)),
        [],
        list(layout.header_for(return_type)),
        *[list(row) for row in rows],
        [],
        list(sign),
    ]


def write_return(
    path: Path,
    return_type: str,
    submitter_code: str,
    submitter_name: str,
    period: str,
    rows: Sequence[Sequence[Cell]],
    signature: tuple[str, str, str] = ("", "", ""),
    encoding: str = "utf-8-sig",
    stamp: datetime | None = None,
) -> Path:
    """Write one return to `path`; the suffix picks the format (.xlsx, or .csv in `encoding`).

    `stamp` fixes the times stored inside an .xlsx, making its bytes reproducible."""
    path = Path(path)
    grid = return_grid(return_type, submitter_code, submitter_name, period, rows, signature)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if encoding not in CSV_ENCODINGS:
            raise ValueError(f"不支持的编码 / unsupported CSV encoding: {encoding!r}")
        width = max(len(row) for row in grid)  # Excel pads every exported line to the used range
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            for row in grid:
                writer.writerow([csv_text(_csv_text(v)) for v in row] + [""] * (width - len(row)))
    elif suffix == ".xlsx":
        _write_xlsx(path, grid, stamp)
    else:
        raise ValueError(f"文件类型须为 .xlsx 或 .csv / unsupported return file type: {path.name}")
    return path


def _write_xlsx(path: Path, grid: list[list[Cell]], stamp: datetime | None) -> None:
    """Write the grid to sheet layout.DATA_SHEET of a write-only workbook (fast, no validation)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(layout.DATA_SHEET)
    widths: dict[int, int] = {}
    for row_no, row in enumerate(grid, start=1):
        if row_no == layout.TITLE_ROW:
            continue  # the title spills over; it should not widen column A
        for col, value in enumerate(row, start=1):
            widths[col] = max(widths.get(col, 0), _display_width(value))
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 6), 60)
    for row_no, row in enumerate(grid, start=1):
        if row_no in (layout.TITLE_ROW, layout.HEADER_ROW):
            cells = []
            for value in row:
                cell = xlsx_cell(WriteOnlyCell(sheet, value=value))
                cell.font = _BOLD
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append([xlsx_cell(WriteOnlyCell(sheet, value=v)) if is_formula_like(v) else v for v in row])
    if stamp is None:
        workbook.save(path)
        return
    stamp_utc = stamp.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = stamp_utc
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():  # same entries, entry times fixed to the stamp
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
