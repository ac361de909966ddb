"""A corpus of bad and messy returns, generated here, one case per rule of the return gate."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from orchestration.home import Home
from orchestration.returns import layout
from orchestration.returns.archive import archive_landing, archived_files
from orchestration.returns.intake import Submission, intake, judge
from orchestration.returns.validate import ReturnValidator
from orchestration.returns.writer import write_return
from tests.conftest import good_rows, write_csv_return

UNIT, NAME, PERIOD = "360124", "进贤县", "2024Q4"
IN_TIME = datetime(2025, 1, 10, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def validator(reference) -> ReturnValidator:
    return ReturnValidator(reference)


def _verdict(validator, name: str, data: bytes, landed=IN_TIME, history=None):
    (verdict,), _ = judge([Submission(name, data, landed)], validator, history)
    return verdict


def _csv(tmp_path, rows, code=UNIT, period=PERIOD, name=None) -> tuple[str, bytes]:
    path = write_csv_return(tmp_path / (name or f"{code}_{period}_x.csv"), code, NAME, period, rows)
    return path.name, path.read_bytes()


def _row(rows, predicate):
    return next(i for i, r in enumerate(rows) if predicate(r))


def _indicator(reference, code):
    return reference.indicators.set_index("indicator_code").loc[code]


def _rules(verdict, severity="error"):
    return {i.rule for i in verdict.issues if i.severity == severity}


# --- blocking rules -----------------------------------------------------------------------------


def test_placeholder_only_where_the_indicator_allows_it(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    allowed = _row(rows, lambda r: _indicator(reference, r[1]).allow_na == "true")
    refused = _row(rows, lambda r: _indicator(reference, r[1]).allow_na == "false")
    original = rows[refused][4]
    rows[allowed][4], rows[refused][4] = "不适用", "——"
    verdict = _verdict(validator, *_csv(tmp_path, rows))
    assert _rules(verdict) == {"na_not_allowed"}
    (issue,) = verdict.issues
    assert issue.source_row == 5 + refused and issue.value_seen == "——"
    rows[refused][4] = original
    verdict = _verdict(validator, *_csv(tmp_path, rows))
    assert verdict.status == "accepted"
    na = verdict.values[verdict.values.indicator_code == rows[allowed][1]].iloc[0]
    assert na.is_na and pd.isna(na.value)


@pytest.mark.parametrize(
    "value_type,bad,rule",
    [("count", 2.5, "fractional_count"), ("flag", 2, "flag_not_binary"), ("count", -1, "negative_value")],
)
def test_counts_and_flags(tmp_path, reference, validator, value_type, bad, rule):
    rows = good_rows(reference, UNIT)
    at = _row(rows, lambda r: _indicator(reference, r[1]).value_type == value_type)
    rows[at][4] = bad
    verdict = _verdict(validator, *_csv(tmp_path, rows))
    assert _rules(verdict) == {rule} and verdict.issues[0].source_row == 5 + at


@pytest.mark.parametrize("typed", ["-3.25", "－３．２５", "\u22123.25", -3.25])
def test_signed_value_type_takes_negative_numbers(tmp_path, reference, typed):
    """A `signed` indicator (e.g. a growth rate) accepts a minus however it is typed; the same
    value for an `amount` is rejected as negative."""
    code = "SV101"  # an amount; made signed here (the Jiangxi catalogue has no signed indicator)
    signed = dataclasses.replace(
        reference,
        indicators=reference.indicators.assign(
            value_type=reference.indicators.value_type.mask(reference.indicators.indicator_code == code, "signed")
        ),
    )
    rows = good_rows(reference, UNIT)
    rows[_row(rows, lambda r: r[1] == code)][4] = typed
    verdict = _verdict(ReturnValidator(signed), *_csv(tmp_path, rows))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert verdict.values.set_index("indicator_code").value[code] == -3.25
    assert _rules(_verdict(ReturnValidator(reference), *_csv(tmp_path, rows))) == {"negative_value"}


def test_indicator_of_another_tier_or_source_does_not_apply(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    department_only = reference.indicators_for("department").query("~tiers.str.contains('county')").iloc[0]
    evaluators_own = reference.indicators[reference.indicators.source == "E02"].iloc[0]
    for n, item in enumerate((department_only, evaluators_own), start=len(rows) + 1):
        rows.append([n, item.indicator_code, item.indicator_name_zh, item.unit_of_measure, 90, ""])
    verdict = _verdict(validator, *_csv(tmp_path, rows))
    assert _rules(verdict) == {"indicator_not_applicable"}
    assert {i.value_seen for i in verdict.issues} == {department_only.indicator_code, evaluators_own.indicator_code}


def test_evaluation_return_from_an_unknown_evaluator(tmp_path, reference, validator):
    indicator = reference.indicators[reference.indicators.source == "E02"].iloc[0]
    rows = [[1, UNIT, NAME, indicator.indicator_code, indicator.indicator_name_zh, "%", 95, ""]]
    path = write_return(tmp_path / "E99_2024Q4.csv", layout.RETURN_TYPE_EVALUATION, "E99", "某评估机构", PERIOD, rows)
    verdict = _verdict(validator, path.name, path.read_bytes())
    assert "unknown_evaluator" in _rules(verdict)


def test_wrong_template_version(tmp_path, reference, validator):
    name, data = _csv(tmp_path, good_rows(reference, UNIT))
    assert "模板版本,v1".encode() in data
    verdict = _verdict(validator, name, data.replace("模板版本,v1".encode(), "模板版本,v0".encode()))
    assert _rules(verdict) == {"template_version"} and verdict.issues[0].value_seen == "v0"
    verdict = _verdict(validator, name, data.replace("模板版本,v1".encode(), "模板版本,".encode()))
    assert _rules(verdict) == {"template_version"}


@pytest.mark.parametrize(
    "name,rule",
    [("360121_2024Q4_南昌县.csv", "file_name_mismatch"), ("360124_2024Q3_进贤县.csv", "file_name_period_mismatch")],
)
def test_file_name_disagrees_with_content(tmp_path, reference, validator, name, rule):
    _, data = _csv(tmp_path, good_rows(reference, UNIT))
    verdict = _verdict(validator, name, data)
    assert _rules(verdict) == {rule}
    assert _verdict(validator, "进贤县第四季度.csv", data).status == "accepted"  # no code in name: fine


@pytest.mark.parametrize(
    "landed,rule",
    [(datetime(2024, 9, 20, tzinfo=UTC), "period_not_started"), (datetime(2025, 5, 6, tzinfo=UTC), "period_closed")],
)
def test_period_not_started_or_closed_when_the_file_landed(tmp_path, reference, validator, landed, rule):
    verdict = _verdict(validator, *_csv(tmp_path, good_rows(reference, UNIT)), landed=landed)
    assert _rules(verdict) == {rule}


def test_part_larger_than_whole(tmp_path, reference, validator):
    part, whole = "SV204", "SV205"
    strict = ReturnValidator(reference, dataclasses.replace(validator.settings, part_whole=((part, whole),)))
    rows = good_rows(reference, UNIT)
    rows[_row(rows, lambda r: r[1] == part)][4] = 120
    rows[_row(rows, lambda r: r[1] == whole)][4] = 100
    verdict = _verdict(strict, *_csv(tmp_path, rows))
    assert _rules(verdict) == {"part_exceeds_whole"} and "100" in verdict.issues[0].message_zh
    rows[_row(rows, lambda r: r[1] == whole)][4] = 120
    assert _verdict(strict, *_csv(tmp_path, rows)).status == "accepted"


@pytest.mark.parametrize("name", ["..\\..\\etc\\360124_2024Q4.csv", "..", "a\x07.csv"])
def test_file_names_that_try_to_leave_landing(tmp_path, reference, validator, name):
    _, data = _csv(tmp_path, good_rows(reference, UNIT))
    assert _rules(_verdict(validator, name, data)) == {"unsafe_file_name"}


def test_file_too_large(tmp_path, reference, validator):
    small = ReturnValidator(reference, dataclasses.replace(validator.settings, max_file_bytes=1000))
    verdict = _verdict(small, *_csv(tmp_path, good_rows(reference, UNIT)))
    assert _rules(verdict) == {"file_too_large"}


def test_zip_bomb_is_refused_before_it_is_unpacked(validator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 30_000_000)
    assert _rules(_verdict(validator, "360124_2024Q4.xlsx", buffer.getvalue())) == {"zip_bomb"}


def test_symlink_in_landing_is_archived_as_a_link_and_never_followed(tmp_path, reference):
    home = Home.resolve(tmp_path / "home").ensure()
    secret = tmp_path / "secret.csv"
    secret.write_text("填报单位代码,360124\n密码,123\n", encoding="utf-8")
    (home.landing / "360124_2024Q4.csv").symlink_to(secret)
    archive_landing(home)
    (item,) = archived_files(home)
    assert item.symlink and item.read() == str(secret).encode()
    report = intake(home, reference)
    assert list(report.rejected) == ["360124_2024Q4.csv"] and "链接" in report.rejected["360124_2024Q4.csv"]


# --- warnings (accepted, flagged) ---------------------------------------------------------------


def _history(rows, period="2024Q3", change=None):
    values = {r[1]: float(r[4]) for r in rows}
    values.update(change or {})
    return pd.DataFrame(
        [{"unit_code": UNIT, "period": period, "indicator_code": k, "value": v} for k, v in values.items()]
    )


def test_value_jump_is_a_warning_naming_the_baseline(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    at = _row(rows, lambda r: r[3] == "%")
    verdict = _verdict(validator, *_csv(tmp_path, rows), history=_history(rows, change={rows[at][1]: 20.0}))
    assert verdict.status == "accepted" and _rules(verdict, "warning") == {"value_jump"}
    (issue,) = verdict.issues
    assert issue.source_row == 5 + at and "2024Q3" in issue.message_zh and "20" in issue.message_zh
    assert "数值 20 变动" in issue.message_zh  # a whole number reads as one: 20, not 20.0


def test_identical_to_previous_period_is_a_warning(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    verdict = _verdict(validator, *_csv(tmp_path, rows), history=_history(rows))
    assert verdict.status == "accepted" and _rules(verdict, "warning") == {"identical_to_previous"}
    older = _verdict(validator, *_csv(tmp_path, rows), history=_history(rows, period="2024Q2"))
    assert _rules(older, "warning") == set()  # the same values two quarters back are no warning


def test_late_submission_is_a_warning(tmp_path, reference, validator):
    verdict = _verdict(
        validator, *_csv(tmp_path, good_rows(reference, UNIT)), landed=datetime(2025, 1, 20, 3, tzinfo=UTC)
    )
    assert verdict.status == "accepted" and _rules(verdict, "warning") == {"late_submission"}
    assert "逾期 5 天" in verdict.issues[0].message_zh


def test_warnings_compare_with_earlier_returns_of_the_same_batch(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    q3 = _csv(tmp_path, rows, period="2024Q3")
    at = _row(rows, lambda r: r[3] == "%")
    rows[at][4] = 10
    q4 = _csv(tmp_path, rows)
    verdicts, _ = judge([Submission(*q3, datetime(2024, 10, 8, tzinfo=UTC)), Submission(*q4, IN_TIME)], validator)
    assert [v.status for v in verdicts] == ["accepted", "accepted"]
    assert _rules(verdicts[1], "warning") == {"value_jump"}


# --- messy but valid ----------------------------------------------------------------------------


def _workbook(rows, *, merged_header=False, extra_sheets=()) -> bytes:
    """A return workbook built cell by cell, as a clerk's spreadsheet program would leave it."""
    book = Workbook()
    first = book.active
    first.title = "填报说明"
    first.append(["请在「数据」表填写，本页不要改动。"])
    for title, hidden in extra_sheets:
        sheet = book.create_sheet(title)
        sheet.append(["指标代码", "填报值"])
        sheet.append(["LO101", 999])
        sheet.sheet_state = "hidden" if hidden else "visible"
    sheet = book.create_sheet("数据")
    sheet.append([f"{NAME}2024年第四季度填报表"])
    sheet.append(["填报单位：", f" {NAME}人民政府 ", "报告期：", "2024年第四季度", "模板版本", "v1"])
    sheet.append([])
    if merged_header:
        sheet.append(["序号", "指标代码", "指标名称", "计量单位", "本期数据", None])
        sheet.append([None, None, None, None, "填报值", "备注"])
        for column in "ABCD":
            sheet.merge_cells(f"{column}4:{column}5")
        sheet.merge_cells("E4:F4")
    else:
        sheet.append(list(layout.UNIT_HEADER))
    start = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["填表人：王芳", "联系电话：0791-1234567"])
    return start, _save(book)


def _save(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_merged_two_row_header_names_and_full_width_values(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _row(rows, lambda r: r[3] == "%")
    rows[at][4] = "８５．５％"
    count = _row(rows, lambda r: _indicator(reference, r[1]).value_type == "amount")
    rows[count][4] = "1,234.5"
    start, data = _workbook(rows, merged_header=True)
    verdict = _verdict(validator, "进贤县.xlsx", data)
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    values = verdict.values.set_index("indicator_code")
    assert values.loc[rows[at][1]].value == 85.5 and values.loc[rows[count][1]].value == 1234.5
    assert values.loc[rows[0][1]].source_row == start and verdict.submitter_code == UNIT


def test_data_sheet_found_by_header_and_hidden_sheets_ignored(reference, validator):
    rows = good_rows(reference, UNIT)
    _, data = _workbook(rows, extra_sheets=[("旧表", True)])
    verdict = _verdict(validator, "进贤县.xlsx", data)
    assert verdict.status == "accepted" and verdict.values.sheet.unique().tolist() == ["数据"]


def test_percent_formatted_cell_holding_a_fraction(reference, validator):
    rows = good_rows(reference, UNIT)
    at = _row(rows, lambda r: r[3] == "%")
    rows[at][4] = 0.855
    book = Workbook()
    book.active.title = "填报表"
    sheet = book.active
    for row in [[f"{NAME}填报表"], layout.meta_row(UNIT, NAME, PERIOD), [], list(layout.UNIT_HEADER), *rows]:
        sheet.append(list(row))
    sheet.cell(row=5 + at, column=5).number_format = "0.0%"
    verdict = _verdict(validator, "r.xlsx", _save(book))
    assert verdict.status == "accepted"
    assert verdict.values.set_index("indicator_code").loc[rows[at][1]].value == pytest.approx(85.5)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_evaluation_return_by_unit_names_in_gb18030_and_bom(tmp_path, reference, validator, encoding):
    code = "E02"
    indicators = reference.indicators[reference.indicators.source == code]
    units = reference.units.head(5)
    rows = [
        [
            n,
            "",
            unit.unit_name + "人民政府" if unit.tier != "department" else unit.short_name,
            ind.indicator_code,
            ind.indicator_name_zh,
            ind.unit_of_measure,
            90,
            "",
        ]
        for n, (unit, ind) in enumerate(((u, i) for u in units.itertuples() for i in indicators.itertuples()), start=1)
    ]
    for row in rows:  # the unit is identified by its name only, in the code column
        row[1], row[2] = row[2], ""
    path = write_return(
        tmp_path / f"{code}_{PERIOD}.csv",
        layout.RETURN_TYPE_EVALUATION,
        code,
        reference.unit_name[code],
        PERIOD,
        rows,
        encoding=encoding,
    )
    verdict = _verdict(validator, path.name, path.read_bytes())
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert set(verdict.values.unit_code) == set(units.unit_code)


# --- robustness ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from([".csv", ".xlsx", ".txt", ""]),
            st.one_of(
                st.binary(max_size=400),
                st.text(max_size=300).map(lambda t: t.encode("utf-8")),
                st.text(alphabet="0123456789,，\n填报单位代码指标填报值报告期2024Q", max_size=300).map(
                    lambda t: t.encode("gb18030")
                ),
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
@pytest.mark.slow
def test_random_garbage_never_crashes_and_never_loses_a_file(tmp_path_factory, reference, files):
    home = Home.resolve(tmp_path_factory.mktemp("garbage")).ensure()
    for n, (suffix, data) in enumerate(files):
        (home.landing / f"f{n}{suffix}").write_bytes(data)
    archive_landing(home)
    report = intake(home, reference)
    distinct = {bytes(data) for _, data in files}
    archived = archived_files(home)
    assert {f.read() for f in archived} == distinct
    assert len(report.accepted) + len(report.rejected) == len(distinct)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        recorded = {row[0] for row in con.execute("select sha256 from raw.return_files").fetchall()}
    assert recorded == {f.sha256 for f in archived}
    assert not any(home.landing.iterdir())
