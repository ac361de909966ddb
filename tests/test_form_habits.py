"""Returns as county offices really write and save them: each habit read right, or refused with a
notice saying what the file is and what to do (docs/returns.md lists them)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook

from orchestration.returns import layout
from orchestration.returns.intake import Submission, judge
from orchestration.returns.validate import ReturnValidator
from tests.conftest import good_rows

UNIT, NAME, PERIOD = "360124", "进贤县", "2024Q4"
IN_TIME = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def validator(reference) -> ReturnValidator:
    return ReturnValidator(reference)


def _verdict(validator, name: str, data: bytes):
    (verdict,), _ = judge([Submission(name, data, IN_TIME)], validator)
    return verdict


def _errors(verdict) -> set[str]:
    return {i.rule for i in verdict.issues if i.severity == "error"}


def _grid(rows, meta=None) -> list[list[object]]:
    return [[f"{NAME}填报表"], meta or layout.meta_row(UNIT, NAME, PERIOD), [], list(layout.UNIT_HEADER), *rows]


def _xlsx(grid, title=layout.DATA_SHEET) -> bytes:
    book = Workbook()
    book.active.title = title
    for row in grid:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(grid, encoding="utf-8", delimiter=",") -> bytes:
    return "\n".join(delimiter.join("" if c is None else str(c) for c in row) for row in grid).encode(encoding)


def _rate_row(reference, rows) -> int:
    return next(i for i, r in enumerate(rows) if r[3] == "%")


# --- who and when: content first, file name second -----------------------------------------------


def test_code_cell_left_empty_but_name_filled(reference, validator):
    meta = [
        layout.META_UNIT_CODE,
        None,
        layout.META_UNIT_NAME,
        "进贤县人民政府",
        layout.META_PERIOD,
        PERIOD,
        layout.META_TEMPLATE,
        "v1",
    ]
    verdict = _verdict(validator, "进贤县报表.xlsx", _xlsx(_grid(good_rows(reference, UNIT), meta)))
    assert (verdict.status, verdict.submitter_code) == ("accepted", UNIT), [i.describe() for i in verdict.issues]


def test_label_and_value_in_one_cell(reference, validator):
    meta = ["填报单位：进贤县", None, "报告期：2024年第四季度", None, "模板版本：v1"]
    verdict = _verdict(validator, "报表.xlsx", _xlsx(_grid(good_rows(reference, UNIT), meta)))
    assert (verdict.status, verdict.submitter_code, verdict.period) == ("accepted", UNIT, PERIOD)


@pytest.mark.parametrize("typed", [360124.0, "360124.0", "3.60124E+05"])
def test_code_typed_as_a_number(reference, validator, typed):
    meta = layout.meta_row(UNIT, NAME, PERIOD)
    meta[1] = typed
    make = _xlsx if isinstance(typed, float) else _csv
    verdict = _verdict(
        validator, "r" + (".xlsx" if make is _xlsx else ".csv"), make(_grid(good_rows(reference, UNIT), meta))
    )
    assert (verdict.status, verdict.submitter_code) == ("accepted", UNIT), [i.describe() for i in verdict.issues]


@pytest.mark.parametrize(
    "name",
    [
        "20241008_360124_2024Q4.xlsx",
        "241008_360124_2024Q4.xlsx",
        "（更正）360124_2024Q4_进贤县.xlsx",
        "3_360124_2024Q4.xlsx",
    ],
)
def test_date_or_serial_in_front_of_the_code(reference, validator, name):
    verdict = _verdict(validator, name, _xlsx(_grid(good_rows(reference, UNIT))))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]


def test_code_and_period_from_the_name_when_the_sheet_has_none(reference, validator):
    meta = [layout.META_UNIT_CODE, None, layout.META_PERIOD, None, layout.META_TEMPLATE, "v1"]
    verdict = _verdict(validator, "20241008_360124_2024Q4.xlsx", _xlsx(_grid(good_rows(reference, UNIT), meta)))
    assert (verdict.status, verdict.submitter_code, verdict.period) == ("accepted", UNIT, PERIOD)
    clash = _verdict(validator, "20241008_360121_2024Q4.xlsx", _xlsx(_grid(good_rows(reference, UNIT))))
    assert "file_name_mismatch" in _errors(clash)  # a known code in the name that disagrees still rejects


# --- which sheet, where the table ends -------------------------------------------------------------


def test_renamed_data_sheet_behind_the_instructions(tmp_path, reference, validator):
    from orchestration.template import write_template

    path = write_template(tmp_path / "t.xlsx", UNIT, PERIOD, reference)
    book = load_workbook(path)
    data = book[layout.DATA_SHEET]
    data.title = "Sheet1"
    book.move_sheet(layout.INSTRUCTIONS_SHEET, offset=-book.sheetnames.index(layout.INSTRUCTIONS_SHEET))
    assert book.sheetnames[0] == layout.INSTRUCTIONS_SHEET
    header = next(r for r in range(1, data.max_row + 1) if data.cell(r, 2).value == layout.COL_INDICATOR_CODE)
    value_col = [c.value for c in data[header]].index(layout.COL_VALUE) + 1
    by_code = {r[1]: r[4] for r in good_rows(reference, UNIT)}
    for r in range(header + 1, data.max_row + 1):
        if data.cell(r, 2).value in by_code:
            data.cell(r, value_col).value = by_code[data.cell(r, 2).value]
    buffer = io.BytesIO()
    book.save(buffer)
    verdict = _verdict(validator, "进贤县.xlsx", buffer.getvalue())
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues][:3]
    assert set(verdict.values.sheet) == {"Sheet1"} and len(verdict.values) == len(by_code)


def test_notes_and_signatures_under_the_table_end_it(reference, validator):
    rows = good_rows(reference, UNIT)
    tail = [
        ["注：1.本表数据截至2024年12月31日；2.比率按百分点填写。"],
        ["填报单位（盖章）：", None, "进贤县人民政府"],
        ["审核人：张三", None, "填报人：李四"],
        ["联系电话：0791-1234567"],
        ["填报日期：2025年1月8日"],
    ]
    verdict = _verdict(validator, "r.xlsx", _xlsx(_grid(rows) + tail))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert len(verdict.values) == len(rows)


# --- faithful values -------------------------------------------------------------------------------


def test_percent_cell_is_the_decimal_the_clerk_saw(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _rate_row(reference, rows)
    rows[at][4] = 0.689
    book = Workbook()
    book.active.title = layout.DATA_SHEET
    for row in _grid(rows):
        book.active.append(list(row))
    book.active.cell(row=5 + at, column=5).number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    assert 0.689 * 100 != 68.9  # what a float multiplication gives
    verdict = _verdict(validator, "r.xlsx", buffer.getvalue())
    assert verdict.values.set_index("indicator_code").loc[rows[at][1]].value == 68.9  # exactly


def _with_cached_result(data: bytes, cell: str, cached: str) -> bytes:
    """The workbook with a stored formula result in `cell`, as Excel or WPS save it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(
                    rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v></v>)?'.encode(),
                    rb"\1<v>" + cached.encode() + rb"</v>",
                    content,
                )
            target.writestr(item, content)
    return out.getvalue()


def test_formula_cell_read_as_its_result_never_as_its_text(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _rate_row(reference, rows)
    rows[at][4] = "=80+5.5"
    data = _xlsx(_grid(rows))
    cell = f"E{5 + at}"
    verdict = _verdict(validator, "r.xlsx", _with_cached_result(data, cell, "85.5"))
    assert verdict.status == "accepted"
    value = verdict.values.set_index("indicator_code").loc[rows[at][1]]
    assert (value.value, value.value_text) == (85.5, "85.5")
    uncached = _verdict(validator, "r.xlsx", data)  # saved by a program that does not calculate
    issue = next(i for i in uncached.issues if i.rule == "not_a_number")
    assert "=" not in (issue.value_seen or "") and "公式「=80+5.5」" in issue.fix_zh
    assert "=80+5.5" not in set(uncached.values.value_text)


@pytest.mark.parametrize("typed, hint", [("是", "是填 1"), ("见附件", "备注"), ("八十五", "0 至 100")])
def test_text_answer_in_a_number_column_names_the_cell_and_what_to_write(reference, validator, typed, hint):
    rows = good_rows(reference, UNIT)
    flag = next(i for i, r in enumerate(rows) if r[3] == "是否")
    at = flag if typed == "是" else _rate_row(reference, rows)
    rows[at][4] = typed
    verdict = _verdict(validator, "r.xlsx", _xlsx(_grid(rows)))
    issue = next(i for i in verdict.issues if i.rule == "not_a_number")
    assert (issue.source_row, issue.value_seen) == (5 + at, typed) and hint in issue.fix_zh


def test_file_level_problems_name_no_column(reference, validator):
    verdict = _verdict(
        validator, "r.xlsx", _xlsx(_grid(good_rows(reference, UNIT), layout.meta_row("999999", "无名县", PERIOD)))
    )
    issue = next(i for i in verdict.issues if i.rule == "unknown_unit")
    assert issue.column_name is None and issue.source_row is None and issue.describe().startswith("工作表")


# --- what offices save ------------------------------------------------------------------------------


def test_xls_workbook_with_a_percent_cell(reference, validator):
    import xlwt

    rows = good_rows(reference, UNIT)
    at = _rate_row(reference, rows)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(layout.DATA_SHEET, cell_overwrite_ok=True)
    for r, row in enumerate(_grid(rows)):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    sheet.write(4 + at, 4, 0.689, xlwt.easyxf(num_format_str="0.0%"))
    buffer = io.BytesIO()
    book.save(buffer)
    verdict = _verdict(validator, "360124_2024Q4.xls", buffer.getvalue())
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert verdict.values.set_index("indicator_code").loc[rows[at][1]].value == 68.9
    assert len(verdict.values) == len(rows)


def _ods(grid, percent_at: tuple[int, int] | None = None) -> bytes:
    """A minimal OpenDocument spreadsheet, as LibreOffice or WPS write one."""

    def cell(r, c, value):
        if value is None:
            return "<table:table-cell/>"
        if (r, c) == percent_at:
            return (
                f'<table:table-cell office:value-type="percentage" office:value="{value}">'
                f"<text:p>{value * 100:g}%</text:p></table:table-cell>"
            )
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join(
        "<table:table-row>" + "".join(cell(r, c, v) for c, v in enumerate(row)) + "</table:table-row>"
        for r, row in enumerate(grid, start=1)
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{layout.DATA_SHEET}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


def test_ods_workbook_with_a_percent_cell(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _rate_row(reference, rows)
    rows[at][4] = 0.689
    verdict = _verdict(validator, "360124_2024Q4.ods", _ods(_grid(rows), percent_at=(5 + at, 4)))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert verdict.values.set_index("indicator_code").loc[rows[at][1]].value == 68.9


def test_unicode_text_export_is_read_like_a_csv(reference, validator):
    rows = good_rows(reference, UNIT)
    data = _csv(_grid(rows), encoding="utf-16", delimiter="\t")
    assert data[:2] == b"\xff\xfe"
    verdict = _verdict(validator, "360124_2024Q4.csv", data)
    assert verdict.status == "accepted" and len(verdict.values) == len(rows)


def _compound_file(*streams: str) -> bytes:
    """A minimal OLE compound file whose directory names the given streams."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HH", header, 26, 3, 0xFFFE)
    struct.pack_into("<H", header, 30, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory at sector 1
    struct.pack_into("<109I", header, 76, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(512)
    for n, name in enumerate(("Root Entry", *streams)):
        encoded = name.encode("utf-16-le") + b"\0\0"
        directory[n * 128 : n * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, n * 128 + 64, len(encoded))
    return bytes(header) + fat + bytes(directory)


@pytest.mark.parametrize(
    "name, data, rule, says",
    [
        ("360124_2024Q4.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "wps_et", "WPS"),
        ("360124_2024Q4.xlsx", _compound_file("EncryptionInfo", "EncryptedPackage"), "password_protected", "密码"),
        (
            "360124_2024Q4.xls",
            b"<html><body><table><tr><td>360124</td></tr></table></body></html>",
            "html_as_spreadsheet",
            "网页",
        ),
        ("360124_2024Q4.xlsx", _compound_file("WordDocument"), "not_a_spreadsheet", "Word"),
        ("360124_2024Q4.xlsx", b"%PDF-1.4\n", "not_a_spreadsheet", "PDF"),
    ],
)
def test_files_wuxing_does_not_read_say_what_they_are(validator, name, data, rule, says):
    verdict = _verdict(validator, name, data)
    (issue,) = verdict.issues
    assert (issue.rule, verdict.status) == (rule, "rejected") and says in issue.message_zh
    assert "另存为" in issue.fix_zh or "报送" in issue.fix_zh


def test_workbook_renamed_to_csv_is_read_as_what_it_is(reference, validator):
    verdict = _verdict(validator, "360124_2024Q4.csv", _xlsx(_grid(good_rows(reference, UNIT))))
    assert verdict.status == "accepted"
    assert [i.rule for i in verdict.issues] == ["wrong_extension"] and "xlsx" in verdict.issues[0].message_zh


def test_withdrawal_mark_is_a_value_not_an_error(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _rate_row(reference, rows)
    rows[at][4] = "撤回"
    verdict = _verdict(validator, "r.xlsx", _xlsx(_grid(rows)))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    withdrawn = verdict.values.set_index("indicator_code").loc[rows[at][1]]
    assert bool(withdrawn.is_withdrawn) and withdrawn.value != withdrawn.value  # NaN: no value


# --- the CLI --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "landed, code, rule",
    [("2024-10-16 18:00", 0, "late_submission"), ("2025-05-01 09:00", 1, "period_closed"), ("2024-10-09", 0, "")],
)
def test_validate_as_if_landed_then(tmp_path, reference, capsys, landed, code, rule):
    from orchestration.cli import main

    path = tmp_path / "360124_2024Q3.xlsx"
    path.write_bytes(_xlsx(_grid(good_rows(reference, UNIT), layout.meta_row(UNIT, NAME, "2024Q3"))))
    assert main(["validate", str(path), "--landed-at", landed, "--home", str(tmp_path / "h")]) == code
    out = capsys.readouterr().out
    assert "北京时间" in out and (rule in out if rule else "提示" not in out)


def test_template_for_a_closed_period_warns(tmp_path, capsys):
    from orchestration.cli import main

    assert main(["template", "--unit", UNIT, "--period", "2023Q1", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert "已于 2024-04-30 关闭" in capsys.readouterr().err
    assert main(["template", "--unit", UNIT, "--period", "2027Q4", "--out", str(tmp_path / "u.xlsx")]) == 0
    assert "关闭" not in capsys.readouterr().err


def test_unit_resending_only_its_corrections(reference, validator):
    rows = good_rows(reference, UNIT)[:2]
    data = _xlsx(_grid(rows))
    (first,), _ = judge([Submission("r.xlsx", data, IN_TIME)], validator)
    assert "missing_indicator" in _errors(first)  # a first return must be complete
    (later,), _ = judge([Submission("r.xlsx", data, IN_TIME)], validator, reported={(UNIT, PERIOD)})
    assert later.status == "accepted" and len(later.values) == 2


def test_receipt_says_what_was_replaced_and_kept():
    import pandas as pd

    from orchestration.returns.supersession import CurrentValues

    current = CurrentValues()
    earlier = pd.DataFrame(
        {
            "unit_code": [u for u in ("A", "B", "C") for _ in (1, 2)],
            "indicator_code": ["X", "Y"] * 3,
            "is_withdrawn": [False] * 6,
        }
    )
    current.add("E02", PERIOD, "evaluation", earlier, datetime(2025, 1, 7, 17, 0, tzinfo=UTC))
    correction = pd.DataFrame(
        {"unit_code": ["A", "A", "B"], "indicator_code": ["X", "Y", "X"], "is_withdrawn": [False, False, True]}
    )
    line = current.summary("E02", PERIOD, "evaluation", correction)
    assert line == "更正 1 个单位 2 项数据，撤回 1 个单位 1 项数据；其余 2 个单位 3 项数据沿用 2025-01-08 报送的数据"
    assert current.summary("E02", "2024Q3", "evaluation", correction) is None  # a first return


def test_withdraw_command_writes_a_return_the_validator_accepts(tmp_path, reference, validator, capsys):
    from orchestration.cli import main

    home = tmp_path / "h"
    assert (
        main(
            [
                "withdraw",
                "--submitter",
                "E02",
                "--period",
                PERIOD,
                "--indicator",
                "SV301",
                "--unit",
                "360100",
                "--unit",
                "360200",
                "--reason",
                "数据口径有误",
                "--home",
                str(home),
            ]
        )
        == 0
    )
    (path,) = (home / "landing").glob("E02_2024Q4_撤回_*.csv")
    verdict = _verdict(validator, path.name, path.read_bytes())
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert verdict.values.is_withdrawn.all() and set(verdict.values.unit_code) == {"360100", "360200"}
    assert (
        main(["withdraw", "--submitter", "E02", "--period", PERIOD, "--indicator", "SV301", "--home", str(home)]) == 2
    )  # an evaluator must name the units


def test_control_characters_in_a_file_name_never_break_a_notice(validator):
    from orchestration.returns.notice import render_notice

    name = "360124_2024Q4\n进贤县\r.xlsx"
    verdict = _verdict(validator, name, b"")
    notice = render_notice(name, "0" * 64, verdict, None)
    assert "文件：360124_2024Q4\\x0a进贤县\\x0d.xlsx\n" in notice
    assert all(not line.startswith(("进贤县", ".xlsx")) for line in notice.splitlines())


@pytest.mark.parametrize("name", ["360124_2024Q4.ods", "360124_2024Q4.csv"])
def test_zip_bomb_under_another_name_is_refused_before_it_is_unpacked(validator, name):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", b"0" * 30_000_000)
    assert _errors(_verdict(validator, name, buffer.getvalue())) == {"zip_bomb"}
