"""The assessment period's life: decisions (定稿 / 重新开放), frozen official results, the comparison
a re-scoring writes instead of changing them, and returns held for a final period.

The rules themselves (coverage, withheld parts, ranking only the rankable) are dbt unit tests
(`_intermediate.yml`); here the Python side on small warehouses, then the whole path on the demo."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from orchestration.home import Home
from orchestration.lifecycle import (COMPARISON, FINALIZE, HELD, REOPEN, decide, ensure_lifecycle_tables,
                                     final_periods, hold_returns_for_final_periods, settle_final_periods)
from orchestration.periods import REASON_DECISION, plan, record_builds
from orchestration.warehouse import ensure_raw_tables

RANKINGS_DDL = """
create table marts.mart_unit_rankings (unit_code varchar, unit_name varchar, period varchar,
    total_score double, rank_in_group bigint, grade varchar)
"""


def _file(con, sha: str, period: str, received: datetime, status: str = "accepted", submitter="360124"):
    con.execute("insert into raw.return_files values (?, 'f.csv', 'a', ?, ?, 1, 'unit', ?, ?, ?, '', 0, 0)",
                [sha, received, received, submitter, period, status])


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    ensure_raw_tables(con)
    ensure_lifecycle_tables(con)
    con.execute(RANKINGS_DDL)
    _file(con, "a" * 64, "2024Q4", datetime(2025, 1, 10))
    yield con
    con.close()


def test_decisions_are_checked_and_recorded_with_who_when_why(warehouse):
    with pytest.raises(ValueError, match="尚无通过校验的填报"):
        decide(warehouse, "2025Q1", FINALIZE, "张三")
    with pytest.raises(ValueError, match="未定稿"):
        decide(warehouse, "2024Q4", REOPEN, "张三", "更正")
    with pytest.raises(ValueError, match="只能对季度"):
        decide(warehouse, "2024", FINALIZE, "张三")
    decision = decide(warehouse, "2024Q4", FINALIZE, "张三", "经考核办会议审定")
    assert set(final_periods(warehouse)) == {"2024Q4"}
    with pytest.raises(ValueError, match="已于 .* 北京时间 定稿"):
        decide(warehouse, "2024Q4", FINALIZE, "张三")
    with pytest.raises(ValueError, match="须说明理由"):
        decide(warehouse, "2024Q4", REOPEN, "李四", "  ")
    decide(warehouse, "2024Q4", REOPEN, "李四", "申诉成立，需更正")
    assert final_periods(warehouse) == {}
    rows = warehouse.execute("select period, action, decided_by, reason, code_version is not null "
                             "from ops.period_decisions order by decided_at").fetchall()
    assert rows == [("2024Q4", FINALIZE, "张三", "经考核办会议审定", True),
                    ("2024Q4", REOPEN, "李四", "申诉成立，需更正", True)]
    assert decision.decided_at <= datetime.utcnow()


def test_a_decision_makes_the_period_stale_for_that_reason(warehouse):
    record_builds(warehouse, ["2024Q4", "2024"], run_id="r1")
    assert plan(warehouse).reasons == {}
    decide(warehouse, "2024Q4", FINALIZE, "张三")
    stale = plan(warehouse).reasons
    assert stale["2024Q4"] == REASON_DECISION
    assert "2024" in stale  # the year's status follows its quarters


def test_finalising_freezes_then_a_rescoring_only_writes_the_comparison(warehouse):
    warehouse.execute("insert into marts.mart_unit_rankings values ('360124', '进贤县', '2024Q4', 80.0, 1, '良好'),"
                      "('360121', '南昌县', '2024Q4', 75.5, 2, '一般'), ('360124', '进贤县', '2024Q3', 70.0, 1, '一般')")
    decide(warehouse, "2024Q4", FINALIZE, "张三")
    assert settle_final_periods(warehouse, ["2024Q4"], "run-1") == {"2024Q4": "定稿结果已冻结 / official results frozen"}
    assert warehouse.execute("select count(*) from official.mart_unit_rankings").fetchone()[0] == 2
    # a re-scoring (say, a new framework) moves 进贤县 to 82.25 and 南昌县 stays
    warehouse.execute("update marts.mart_unit_rankings set total_score = 82.25 where unit_code = '360124'")
    outcome = settle_final_periods(warehouse, None, "run-2")
    assert "1 units differ" in outcome["2024Q4"] and "2024Q3" not in outcome
    comparison = warehouse.execute(
        f"select unit_code, official_total_score, rescored_total_score, score_difference, differs "
        f"from marts.{COMPARISON} order by unit_code").fetchall()
    assert comparison == [("360121", 75.5, 75.5, 0.0, False), ("360124", 80.0, 82.25, 2.25, True)]
    published = warehouse.execute("select period, unit_code, total_score from marts.mart_unit_rankings "
                                  "order by period, unit_code").fetchall()
    assert published == [("2024Q3", "360124", 82.25), ("2024Q4", "360121", 75.5), ("2024Q4", "360124", 80.0)]


def test_a_late_return_for_a_final_period_is_held_with_a_notice_until_reopened(warehouse, tmp_path):
    home = Home.resolve(tmp_path).ensure()
    decide(warehouse, "2024Q4", FINALIZE, "张三")
    late, early_next = "b" * 64, "c" * 64
    now = datetime.utcnow() + timedelta(seconds=1)
    _file(warehouse, late, "2024Q4", now)
    _file(warehouse, early_next, "2025Q1", now)
    notice = home.notices / f"{late[:12]}_360124_2024Q4.csv.notice.txt"
    notice.write_text("校验通过\n", encoding="utf-8")
    assert hold_returns_for_final_periods(home, warehouse) == [late]
    status = dict(warehouse.execute("select sha256, status from raw.return_files").fetchall())
    assert status == {"a" * 64: "accepted", late: HELD, early_next: "accepted"}
    text = notice.read_text(encoding="utf-8")
    assert text.startswith("【暂存，未计分】2024Q4 已于 ") and "北京时间 由 张三 定稿" in text
    assert "wuxing reopen 2024Q4" in text and text.endswith("校验通过\n")
    decide(warehouse, "2024Q4", REOPEN, "李四", "接收更正")
    assert warehouse.execute("select status from raw.return_files where sha256 = ?", [late]).fetchone() == ("accepted",)
