"""The fill-in template: the unit's own indicators, validation on every value cell, clear errors."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.template import INSTRUCTIONS_SHEET, write_template

VALUE_COL = get_column_letter(layout.UNIT_HEADER.index(layout.COL_VALUE) + 1)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.load()


def one_unit_per_tier(reference: Reference) -> list[str]:
    return reference.units.drop_duplicates("tier").unit_code.tolist()


def test_template_lists_the_units_self_indicators_with_validation(tmp_path, reference):
    units = one_unit_per_tier(reference)
    assert len(units) >= 2
    for unit_code in units:
        tier = reference.unit_tier[unit_code]
        expected = reference.indicators_for(tier, "self")
        path = write_template(tmp_path / f"{unit_code}_2024Q4_模板.xlsx", unit_code, "2024Q4", reference)
        workbook = load_workbook(path)
        assert workbook.sheetnames == [layout.DATA_SHEET, INSTRUCTIONS_SHEET]
        sheet = workbook[layout.DATA_SHEET]
        rows = list(sheet.iter_rows(values_only=True))
        meta = rows[layout.META_ROW - 1]
        assert meta[1] == unit_code and meta[3] == reference.unit_name[unit_code]
        assert meta[5] == "2024Q4" and meta[7] == layout.TEMPLATE_VERSION
        assert list(rows[layout.HEADER_ROW - 1][:6]) == list(layout.UNIT_HEADER)
        data = rows[layout.FIRST_DATA_ROW - 1 : layout.FIRST_DATA_ROW - 1 + len(expected)]
        assert [row[1] for row in data] == expected.indicator_code.tolist()
        assert [row[2] for row in data] == expected.indicator_name_zh.tolist()
        assert all(row[4] is None for row in data)  # 填报值 left empty
        assert all(cell is None for cell in rows[layout.FIRST_DATA_ROW - 1 + len(expected)])
        assert str(rows[-1][0]).startswith("填表人")

        validations = sheet.data_validations.dataValidation
        covered = {}
        for validation in validations:
            assert validation.error and validation.prompt  # Chinese messages shown to the clerk
            for cell_range in validation.sqref.ranges:
                covered[cell_range.coord] = validation
        value_cells = [f"{VALUE_COL}{layout.FIRST_DATA_ROW + i}" for i in range(len(expected))]
        assert set(covered) == set(value_cells)
        for cell, ind in zip(value_cells, expected.itertuples()):
            validation = covered[cell]
            if ind.allow_na == "true":
                assert validation.type == "custom" and "不适用" in validation.formula1
            elif ind.value_type in ("rate", "score"):
                assert (validation.type, validation.formula1, validation.formula2) == ("decimal", "0", "100")
            elif ind.value_type == "count":
                assert validation.type == "whole" and validation.operator == "greaterThanOrEqual"
            elif ind.value_type == "flag":
                assert validation.type == "list" and validation.formula1 == '"0,1"'

        instructions = [
            cell for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for cell in row if cell
        ]
        text = "\n".join(map(str, instructions))
        assert "0.85" in text and "不适用" in text and f"{unit_code}_2024Q4_" in text
        for description in expected.description_zh:
            assert description in instructions


def test_template_leaves_out_other_tiers_and_evaluator_indicators(tmp_path, reference):
    unit_code = reference.units[reference.units.tier == "department"].unit_code.iloc[0]
    path = write_template(tmp_path / "t.xlsx", unit_code, "2023Q1", reference)
    rows = list(load_workbook(path)[layout.DATA_SHEET].iter_rows(values_only=True))
    codes = {
        row[1]
        for row in rows[layout.FIRST_DATA_ROW - 1 :]
        if row[0] is not None and not str(row[0]).startswith("填表人")
    }
    not_mine = set(reference.indicators.indicator_code) - set(
        reference.indicators_for("department", "self").indicator_code
    )
    assert not_mine and not codes & not_mine


def test_unknown_unit_raises(tmp_path, reference):
    with pytest.raises(ValueError, match="未知.*unknown unit"):
        write_template(tmp_path / "x.xlsx", "369999", "2024Q4", reference)
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("period", ["2024Q5", "2024-Q4", "24Q1", "2024q4", ""])
def test_malformed_period_raises(tmp_path, reference, period):
    unit_code = reference.units.unit_code.iloc[0]
    with pytest.raises(ValueError, match="报告期.*malformed period"):
        write_template(tmp_path / "x.xlsx", unit_code, period, reference)


def test_evaluator_template_lists_every_assessed_unit_and_the_tolerated_count(tmp_path, reference):
    """E03's workbook: one row per unit and indicator it reports, the 容错 count (DD01T) included;
    filled in, it passes the return gate unless a unit's tolerated count exceeds its problems."""
    from datetime import datetime

    from orchestration.returns.intake import Submission, judge
    from orchestration.returns.validate import ReturnValidator

    path = write_template(tmp_path / "E03_2024Q4_督查.xlsx", "E03", "2024Q4", reference)
    workbook = load_workbook(path)
    sheet = workbook[layout.DATA_SHEET]
    header = list(next(sheet.iter_rows(min_row=layout.HEADER_ROW, max_row=layout.HEADER_ROW, values_only=True)))
    assert header[: len(layout.EVALUATION_HEADER)] == list(layout.EVALUATION_HEADER)
    data = [row for row in sheet.iter_rows(min_row=layout.FIRST_DATA_ROW, values_only=True) if row[3]]
    expected = [
        (unit.unit_code, ind.indicator_code)
        for unit in reference.units.itertuples()
        for ind in reference.indicators_for(unit.tier, "E03").itertuples()
    ]
    assert [(row[1], row[3]) for row in data] == expected and ("360124", "DD01T") in expected
    value_col = get_column_letter(layout.EVALUATION_HEADER.index(layout.COL_VALUE) + 1)
    covered = {r.coord for v in sheet.data_validations.dataValidation for r in v.sqref.ranges}
    assert covered == {f"{value_col}{layout.FIRST_DATA_ROW + i}" for i in range(len(data))}
    text = "\n".join(str(c) for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for c in row if c)
    assert layout.COL_TARGET_UNIT_CODE in text and "容错" in text

    def judged(incidents: int, tolerated: int):
        for offset, (unit_code, code) in enumerate(expected):
            value = {"DD01": incidents, "DD01T": tolerated}.get(code, 0) if unit_code == "360124" else 0
            sheet[f"{value_col}{layout.FIRST_DATA_ROW + offset}"] = value
        workbook.save(path)
        landed = datetime(2025, 1, 10, tzinfo=UTC)
        (verdict,), _ = judge([Submission(path.name, path.read_bytes(), landed)], ReturnValidator(reference))
        return verdict

    verdict = judged(incidents=2, tolerated=3)
    assert [(i.rule, i.source_row) for i in verdict.issues] == [
        ("part_exceeds_whole", layout.FIRST_DATA_ROW + expected.index(("360124", "DD01T")))
    ]
    assert judged(incidents=3, tolerated=3).status == "accepted"


@pytest.mark.parametrize("code", ["360124", "E03"])
def test_template_locks_all_but_the_input_cells_and_prints_on_a4(tmp_path, reference, code):
    path = write_template(tmp_path / f"{code}.xlsx", code, "2024Q4", reference)
    workbook = load_workbook(path)
    sheet = workbook[layout.DATA_SHEET]
    return_type = layout.RETURN_TYPE_UNIT if code.isdigit() else layout.RETURN_TYPE_EVALUATION
    header = layout.header_for(return_type)
    value_col, note_col = header.index(layout.COL_VALUE) + 1, header.index(layout.COL_NOTE) + 1
    # protected without a password: Excel and WPS users can unprotect deliberately
    assert sheet.protection.sheet and not sheet.protection.password
    assert workbook[INSTRUCTIONS_SHEET].protection.sheet and not workbook[INSTRUCTIONS_SHEET].protection.password
    last_data = next(r for r in range(layout.FIRST_DATA_ROW, sheet.max_row + 1) if sheet.cell(r, 1).value is None) - 1
    assert last_data > layout.FIRST_DATA_ROW
    for row in range(1, last_data + 1):
        for col in range(1, len(header) + 1):
            cell = sheet.cell(row, col)
            is_input = row >= layout.FIRST_DATA_ROW and col in (value_col, note_col)
            assert cell.protection.locked != is_input, cell.coordinate
            if is_input:
                assert cell.fill.fgColor.rgb.endswith("FFF2CC")  # styled as input
    assert str(sheet.cell(sheet.max_row, 1).value).startswith("填表人")
    assert not sheet.cell(sheet.max_row, 1).protection.locked  # the signature is typed in
    assert sheet.freeze_panes == f"D{layout.FIRST_DATA_ROW}"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) == 9 and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == f"${layout.HEADER_ROW}:${layout.HEADER_ROW}"
    # widths fit Chinese: every header and indicator name is at most as wide as its column
    for col in range(1, len(header) + 1):
        letter = get_column_letter(col)
        texts = [str(sheet.cell(r, col).value or "") for r in range(layout.HEADER_ROW, last_data + 1)]
        needed = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) for text in texts)
        assert sheet.column_dimensions[letter].width >= min(needed, 60), (letter, needed)
    assert sheet.column_dimensions[get_column_letter(value_col)].width >= 14
    for validation in sheet.data_validations.dataValidation:  # Chinese titles and messages
        assert validation.promptTitle == "填报提示" and validation.errorTitle == "填报值无效"
        assert re.search("[\u4e00-\u9fff]", validation.prompt) and re.search("[\u4e00-\u9fff]", validation.error)
