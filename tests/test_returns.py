"""Parsing, validation, notices, archiving and intake of returns, without Dagster."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.home import Home
from orchestration.returns.archive import archive_landing, archived_files
from orchestration.returns.intake import Submission, intake, judge
from orchestration.returns.parse import parse_return
from orchestration.returns.validate import ReturnValidator
from orchestration.returns.values import normalise_period, parse_number
from tests.conftest import good_rows, write_csv_return

UNIT, NAME, PERIOD = "360124", "进贤县", "2024Q4"
LANDED = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)  # in time for 2024Q4 (deadline 2025-01-15)


@pytest.fixture(scope="module")
def validator(reference) -> ReturnValidator:
    return ReturnValidator(reference)


def _judge(validator, path, landed=LANDED, history=None):
    (verdict,), _ = judge([Submission(path.name, path.read_bytes(), landed)], validator, history)
    return verdict


def test_good_return_is_accepted_with_every_row(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    verdict = _judge(validator, write_csv_return(tmp_path / "good.csv", UNIT, NAME, PERIOD, rows))
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert (verdict.submitter_code, verdict.period) == (UNIT, PERIOD)
    assert len(verdict.values) == len(rows)
    assert list(verdict.values.source_row) == list(range(5, 5 + len(rows)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, reference, validator, encoding):
    from orchestration.returns import layout
    from orchestration.returns.writer import write_return

    path = write_return(
        tmp_path / "r.csv", layout.RETURN_TYPE_UNIT, UNIT, NAME, PERIOD, good_rows(reference, UNIT), encoding=encoding
    )
    verdict = _judge(validator, path)
    assert verdict.status == "accepted"
    assert parse_return(path.name, path.read_bytes(), validator.settings).submitter_text == UNIT


def test_unit_named_instead_of_coded_and_chinese_period(tmp_path, reference, validator):
    path = write_csv_return(tmp_path / "r.csv", "进贤县人民政府", NAME, "2024年第四季度", good_rows(reference, UNIT))
    verdict = _judge(validator, path)
    assert (verdict.status, verdict.submitter_code, verdict.period) == ("accepted", UNIT, PERIOD)


def _spoiled(reference, rule):
    rows = good_rows(reference, UNIT)
    rate_row = next(i for i, r in enumerate(rows) if r[3] == "%")
    if rule == "rate_out_of_range":
        rows[rate_row][4] = 120
    elif rule == "not_a_number":
        rows[rate_row][4] = "八十五"
    elif rule == "duplicate_indicator":
        rows.append(list(rows[0]))
    elif rule == "missing_indicator":
        del rows[0]
    elif rule == "unknown_indicator":
        rows.append([99, "XX999", "不存在的指标", "个", 1, ""])
    elif rule == "negative_value":
        count_row = next(i for i, r in enumerate(rows) if r[3] not in ("%", "是否", "分"))
        rows[count_row][4] = -2
    return rows, rate_row


@pytest.mark.parametrize(
    "rule",
    [
        "rate_out_of_range",
        "not_a_number",
        "duplicate_indicator",
        "missing_indicator",
        "unknown_indicator",
        "negative_value",
    ],
)
def test_each_blocking_rule_rejects_and_names_the_cell(tmp_path, reference, validator, rule):
    rows, rate_row = _spoiled(reference, rule)
    verdict = _judge(validator, write_csv_return(tmp_path / "bad.csv", UNIT, NAME, PERIOD, rows))
    assert verdict.status == "rejected"
    assert {i.rule for i in verdict.issues} == {rule}
    issue = verdict.issues[0]
    assert issue.sheet == "填报表" and issue.fix_zh
    if rule in ("rate_out_of_range", "not_a_number"):
        assert issue.source_row == 5 + rate_row
        assert issue.column_name == "填报值"
        assert issue.value_seen == str(rows[rate_row][4])
        assert f"第 {5 + rate_row} 行" in issue.describe()


def test_unknown_unit_and_unknown_period_are_file_level(tmp_path, reference, validator):
    path = write_csv_return(tmp_path / "r.csv", "369999", "某某县", "2031Q1", good_rows(reference, UNIT))
    verdict = _judge(validator, path)
    rules = [i.rule for i in verdict.issues]
    assert verdict.status == "rejected"
    assert rules.count("unknown_unit") == 1 and rules.count("period_invalid") == 1


def test_one_notice_lists_every_problem(tmp_path, reference, validator):
    rows = good_rows(reference, UNIT)
    rows[0][4] = "abc"
    rows[1][4] = 150 if rows[1][3] == "%" else -1
    rows.append(list(rows[2]))
    verdict = _judge(validator, write_csv_return(tmp_path / "r.csv", UNIT, NAME, PERIOD, rows))
    assert len({i.rule for i in verdict.issues}) == 3


@pytest.mark.parametrize(
    "data,rule", [(b"", "empty_file"), (b"PK\x03\x04garbage", "unreadable"), (b"a,b\n1,2\n", "no_header")]
)
def test_unreadable_files_are_rejected_not_raised(validator, data, rule):
    name = "x.xlsx" if data.startswith(b"PK") else "x.csv"
    (verdict,), _ = judge([Submission(name, data, LANDED)], validator)
    assert verdict.status == "rejected" and verdict.issues[0].rule == rule


def test_numbers_and_periods_as_clerks_type_them():
    assert parse_number("８５．５％") == 85.5
    assert parse_number("1,234") == 1234
    assert parse_number(0.85, percent_format=True) == pytest.approx(85)
    assert parse_number("八十五") is None
    assert parse_number("-1.5") == parse_number("－１．５") == parse_number("\u22121.5") == -1.5
    assert parse_number("-") is None  # a lone dash is the "not applicable" placeholder
    assert normalise_period("2024年第一季度") == "2024Q1"
    assert normalise_period("2024年3季度") == "2024Q3"
    assert normalise_period("2024Q5") is None


def test_identical_file_dropped_twice_is_archived_once(tmp_path, reference):
    home = Home.resolve(tmp_path / "home").ensure()
    rows = good_rows(reference, UNIT)
    first = write_csv_return(home.landing / "a.csv", UNIT, NAME, PERIOD, rows)
    data = first.read_bytes()
    report = archive_landing(home)
    assert len(report.archived) == 1 and not any(home.landing.iterdir())
    (home.landing / "a_again.csv").write_bytes(data)
    report = archive_landing(home)
    assert report.duplicates == ["a_again.csv"] and not report.archived
    (only,) = archived_files(home)
    assert only.read() == data and only.sha256 == hashlib.sha256(data).hexdigest()


def test_intake_records_quarantines_and_is_idempotent(tmp_path, reference):
    home = Home.resolve(tmp_path / "home").ensure()
    write_csv_return(home.landing / "good.csv", UNIT, NAME, PERIOD, good_rows(reference, UNIT))
    bad_rows, _ = _spoiled(reference, "rate_out_of_range")
    write_csv_return(home.landing / "bad.csv", UNIT, NAME, PERIOD, bad_rows)
    for path in home.landing.iterdir():
        os.utime(path, (LANDED.timestamp(), LANDED.timestamp()))
    archive_landing(home)
    report = intake(home, reference)
    assert report.accepted == ["good.csv"] or report.accepted == ["good.csv"][::-1]
    assert list(report.rejected) == ["bad.csv"]
    notices = list(home.quarantine.glob("*bad.csv.notice.txt"))
    assert len(notices) == 1 and "0 至 100" in notices[0].read_text(encoding="utf-8")
    assert len(list(home.quarantine.glob("*bad.csv"))) == 1  # the rejected file itself, beside its notice
    receipts = sorted(p.name for p in home.notices.iterdir())
    assert len(receipts) == 2 and "已受理" in next(home.notices.glob("*good.csv.notice.txt")).read_text("utf-8")
    docs = Path(report.data_docs)
    assert docs.is_file() and docs.is_relative_to(home.root)  # GX Data Docs built into the home
    assert len(list(docs.parent.glob("validations/unit_return/*/*/*.html"))) == 1
    assert intake(home, reference).accepted == []  # nothing pending the second time
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        statuses = dict(con.execute("select file_name, status from raw.return_files").fetchall())
        issues = con.execute("select rule, source_row from raw.return_issues").fetchall()
    assert statuses == {"good.csv": "accepted", "bad.csv": "rejected"}
    assert [i[0] for i in issues] == ["rate_out_of_range"]


def _current_period() -> str:
    today = date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def test_cli_validate_good_and_bad(tmp_path, reference, capsys):
    period = _current_period()  # `validate` judges a file as if it landed now
    good = write_csv_return(tmp_path / "good.csv", UNIT, NAME, period, good_rows(reference, UNIT))
    bad_rows, _ = _spoiled(reference, "not_a_number")
    bad = write_csv_return(tmp_path / "bad.csv", UNIT, NAME, period, bad_rows)
    assert main(["validate", str(good), "--home", str(tmp_path / "h")]) == 0
    assert "已受理" in capsys.readouterr().out
    assert main(["validate", str(bad), "--home", str(tmp_path / "h")]) == 1
    out = capsys.readouterr().out
    assert "退回" in out and "八十五" in out
    assert not list((tmp_path / "h").glob("archive/*/*"))  # validate never ingests
