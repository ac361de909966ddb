"""The rectification return (整改情况报送表) through the intake gate: template, archive, its GX
suite, notices naming the cell, quarantine, and accepted rows reported in the ledger."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.cli import main
from orchestration.home import Home
from orchestration.lifecycle import ensure_lifecycle_tables
from orchestration.rectification_return import HEADER, SHEET, TEMPLATE_VERSION, write_rectification_template
from orchestration.returns.archive import archive_landing
from orchestration.returns.intake import intake
from orchestration.returns.layout import FIRST_DATA_ROW
from orchestration.warehouse import ensure_raw_tables

ITEMS = [
    ("D-360124-2024Q3-DD01", "督查扣分事项：台账不全 1 起", date(2024, 12, 14)),
    ("R-360124-2024Q3-SV101", "红灯：营商环境", date(2025, 1, 13)),
]


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home.resolve(tmp_path / "home").ensure()
    with duckdb.connect(str(home.warehouse)) as con:
        ensure_raw_tables(con)
        ensure_lifecycle_tables(con)
        # stand-in for the dbt view of the ledger: two open items of 进贤县, one closed of another unit
        con.execute(
            "create schema intermediate; create table intermediate.int_rectification_items_resolved "
            "(item_id varchar, unit_code varchar, problem varchar, deadline date, status varchar)"
        )
        con.executemany(
            "insert into intermediate.int_rectification_items_resolved values (?, '360124', ?, ?, 'open')", ITEMS
        )
        con.execute(
            "insert into intermediate.int_rectification_items_resolved values "
            "('D-360121-2024Q3-DD01', '360121', '督查', '2024-12-14', 'closed')"
        )
    return home


def _fill(path, rows: dict[int, tuple]) -> None:
    """Type (measures, done, date, evidence) into the data rows given by offset."""
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    first = HEADER.index("整改措施") + 1
    for offset, values in rows.items():
        for i, value in enumerate(values):
            sheet.cell(FIRST_DATA_ROW + offset, first + i, value)
    workbook.save(path)


def test_the_template_lists_the_units_open_items(home, capsys):
    out = home.root / "zg.xlsx"
    assert (
        main(
            [
                "template",
                "--kind",
                "rectification",
                "--unit",
                "360124",
                "--period",
                "2025q1",
                "--out",
                str(out),
                "--home",
                str(home.root),
            ]
        )
        == 0
    )
    assert "2 个未销号事项" in capsys.readouterr().out
    sheet = load_workbook(out)[SHEET]
    assert [c.value for c in sheet[4]] == list(HEADER)
    assert [sheet.cell(FIRST_DATA_ROW + i, 2).value for i in range(3)] == [ITEMS[0][0], ITEMS[1][0], None]
    assert TEMPLATE_VERSION in [c.value for c in sheet[2]] and "2025Q1" in [c.value for c in sheet[2]]


def test_a_good_return_reports_in_the_ledger_and_a_bad_one_is_refused_naming_each_cell(home, reference):
    good = write_rectification_template(home.landing / "进贤县整改情况.xlsx", "360124", "2025Q1", reference, ITEMS)
    _fill(good, {0: ("已建立台账并整改", "是", "2025-01-20", "赣府督〔2025〕3号"), 1: ("正在整改", "否", None, None)})
    bad = write_rectification_template(
        home.landing / "进贤县整改情况_错.xlsx",
        "360124",
        "2025Q1",
        reference,
        [*ITEMS, ("D-360121-2024Q3-DD01", "他人事项", date(2024, 12, 14))],
    )
    _fill(bad, {0: (None, "完成", "2025-13-01", None), 1: ("正在整改", "是", None, None), 2: ("x", "否", None, None)})
    archive_landing(home)

    report = intake(home, reference)
    assert report.accepted == ["进贤县整改情况.xlsx"] and list(report.rejected) == ["进贤县整改情况_错.xlsx"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        reported = con.execute(
            "select item_id, action, acted_by, measures, done, evidence_sha256 is not null, note "
            "from ops.rectification_actions order by item_id"
        ).fetchall()
        logged = con.execute(
            "select file_name, status, items_reported from raw.rectification_returns order by file_name"
        ).fetchall()
        values = con.execute("select count(*) from raw.return_files").fetchone()[0]
    assert [r[:6] for r in reported] == [
        ("D-360124-2024Q3-DD01", "report", "360124", "已建立台账并整改", True, True),
        ("R-360124-2024Q3-SV101", "report", "360124", "正在整改", False, True),
    ]
    assert "完成日期 2025-01-20；佐证材料：赣府督〔2025〕3号" in reported[0][6]
    assert logged == [("进贤县整改情况.xlsx", "accepted", 2), ("进贤县整改情况_错.xlsx", "rejected", 0)]
    assert values == 0  # not a value return: nothing enters the scores

    (notice,) = home.quarantine.glob("*进贤县整改情况_错.xlsx.notice.txt")
    text = notice.read_text(encoding="utf-8")
    assert text.startswith("“五型”政府建设量化指标填报 退回通知")
    assert "第 5 行「整改措施」列：台账事项 D-360124-2024Q3-DD01 未填写整改措施。修改方法：请在 E5 写明" in text
    assert "「是否完成」只能填「是」或「否」（填写的是「完成」）" in text
    assert "完成日期不是有效日期（填写的是「2025-13-01」）。修改方法：请在 G5 按" in text
    assert "第 6 行「完成日期」列：台账事项 R-360124-2024Q3-SV101 已完成但未填写完成日期" in text
    assert "第 6 行「佐证材料」列" in text
    assert "第 7 行「台账编号」列：台账编号 D-360121-2024Q3-DD01 不是本单位未销号的整改事项" in text
    assert len(list(home.quarantine.glob("*进贤县整改情况_错.xlsx"))) == 1

    assert intake(home, reference).accepted == []  # judged once: not again on the next run
