"""The assessment period's life: decisions (定稿 / 重新开放), frozen official results, the comparison
a re-scoring writes instead of changing them, and returns held for a final period.

The rules themselves (coverage, withheld parts, ranking only the rankable) are dbt unit tests
(`_intermediate.yml`); here the Python side on small warehouses, then the whole path on the demo."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import duckdb
import pytest

from orchestration.home import Home
from orchestration.lifecycle import (
    COMPARISON,
    FINALIZE,
    HELD,
    REOPEN,
    decide,
    ensure_lifecycle_tables,
    final_periods,
    hold_returns_for_final_periods,
    settle_final_periods,
)
from orchestration.periods import REASON_DECISION, plan, record_builds
from orchestration.warehouse import ensure_raw_tables

RANKINGS_DDL = """
create schema marts;
create table marts.mart_unit_rankings (unit_code varchar, unit_name varchar, period varchar,
    total_score double, rank_in_group bigint, grade varchar)
"""


def _file(con, sha: str, period: str, received: datetime, status: str = "accepted", submitter="360124"):
    con.execute(
        "insert into raw.return_files values (?, 'f.csv', 'a', ?, ?, 1, 'unit', ?, ?, ?, '', 0, 0)",
        [sha, received, received, submitter, period, status],
    )


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
    rows = warehouse.execute(
        "select period, action, decided_by, reason, code_version is not null "
        "from ops.period_decisions order by decided_at"
    ).fetchall()
    assert rows == [
        ("2024Q4", FINALIZE, "张三", "经考核办会议审定", True),
        ("2024Q4", REOPEN, "李四", "申诉成立，需更正", True),
    ]
    assert decision.decided_at <= datetime.utcnow()


def test_a_decision_makes_the_period_stale_for_that_reason(warehouse):
    record_builds(warehouse, ["2024Q4", "2024"], run_id="r1")
    assert plan(warehouse).reasons == {}
    decide(warehouse, "2024Q4", FINALIZE, "张三")
    stale = plan(warehouse).reasons
    assert stale["2024Q4"] == REASON_DECISION
    assert "2024" in stale  # the year's status follows its quarters


def test_finalising_freezes_then_a_rescoring_only_writes_the_comparison(warehouse):
    warehouse.execute(
        "insert into marts.mart_unit_rankings values ('360124', '进贤县', '2024Q4', 80.0, 1, '良好'),"
        "('360121', '南昌县', '2024Q4', 75.5, 2, '一般'), ('360124', '进贤县', '2024Q3', 70.0, 1, '一般')"
    )
    decide(warehouse, "2024Q4", FINALIZE, "张三")
    assert settle_final_periods(warehouse, ["2024Q4"], "run-1") == {
        "2024Q4": "定稿结果已冻结 / official results frozen"
    }
    assert warehouse.execute("select count(*) from official.mart_unit_rankings").fetchone()[0] == 2
    # a re-scoring (say, a new framework) moves 进贤县 to 82.25 and 南昌县 stays
    warehouse.execute("update marts.mart_unit_rankings set total_score = 82.25 where unit_code = '360124'")
    outcome = settle_final_periods(warehouse, None, "run-2")
    assert "1 units differ" in outcome["2024Q4"] and "2024Q3" not in outcome
    comparison = warehouse.execute(
        f"select unit_code, official_total_score, rescored_total_score, score_difference, differs "
        f"from marts.{COMPARISON} order by unit_code"
    ).fetchall()
    assert comparison == [("360121", 75.5, 75.5, 0.0, False), ("360124", 80.0, 82.25, 2.25, True)]
    published = warehouse.execute(
        "select period, unit_code, total_score from marts.mart_unit_rankings order by period, unit_code"
    ).fetchall()
    assert published == [("2024Q3", "360124", 82.25), ("2024Q4", "360121", 75.5), ("2024Q4", "360124", 80.0)]


def test_a_year_is_frozen_once_its_four_quarters_are_final_and_refrozen_after_a_reopening(warehouse):
    warehouse.execute(
        "create table marts.mart_unit_annual_scores (unit_code varchar, unit_name varchar, year varchar, "
        "annual_score double, rank_in_group bigint); insert into marts.mart_unit_annual_scores values "
        "('360124', '进贤县', '2024', 81.5, 1), ('360121', '南昌县', '2024', 77.0, 2)"
    )
    for n, quarter in enumerate(["2024Q1", "2024Q2", "2024Q3"]):
        _file(warehouse, str(n) * 64, quarter, datetime(2024, 3 * n + 4, 10))
    for quarter in ["2024Q1", "2024Q2", "2024Q3"]:
        decide(warehouse, quarter, FINALIZE, "张三")
    assert "2024" not in settle_final_periods(warehouse, None, "run-1")  # 2024Q4 is not final yet
    decide(warehouse, "2024Q4", FINALIZE, "李四")
    assert (
        settle_final_periods(warehouse, ["2024Q4", "2024"], "run-2")["2024"]
        == "定稿结果已冻结 / official results frozen"
    )
    assert warehouse.execute(
        "select year, annual_score, decision_id like 'Y%' from official.mart_unit_annual_scores order by unit_code"
    ).fetchall() == [("2024", 77.0, True), ("2024", 81.5, True)]
    # a re-scoring of the year changes 进贤县: the official row is put back, the difference compared
    warehouse.execute("update marts.mart_unit_annual_scores set annual_score = 80.0 where unit_code = '360124'")
    assert "1 units differ" in settle_final_periods(warehouse, ["2024"], "run-3")["2024"]
    assert warehouse.execute(
        "select annual_score from marts.mart_unit_annual_scores where unit_code = '360124'"
    ).fetchall() == [(81.5,)]
    assert warehouse.execute(
        f"select official_total_score, rescored_total_score, official_grade from marts.{COMPARISON} "
        "where period = '2024' and differs"
    ).fetchall() == [(81.5, 80.0, None)]
    # reopened and finalised again: a new official year, frozen from the scores of that run
    decide(warehouse, "2024Q2", REOPEN, "王五", "申诉成立")
    assert "2024" not in settle_final_periods(warehouse, None, "run-4")
    decide(warehouse, "2024Q2", FINALIZE, "王五")
    warehouse.execute("update marts.mart_unit_annual_scores set annual_score = 80.0 where unit_code = '360124'")
    assert settle_final_periods(warehouse, ["2024"], "run-5")["2024"] == "定稿结果已冻结 / official results frozen"
    assert warehouse.execute(
        "select count(distinct decision_id), max(annual_score) filter (where unit_code = '360124' "
        "and decision_id = (select decision_id from ops.official_snapshots where run_id = 'run-5')) "
        "from official.mart_unit_annual_scores"
    ).fetchone() == (2, 80.0)


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


# ---- the whole path: the CLI, the nightly plan, dbt and publishing ---------------------------------


def _published(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.slow
def test_a_lone_early_return_is_provisional_and_unranked_with_its_missing_parts_shown_missing(tmp_path, reference):
    """The issue's case: one valid 2026Q4 return for 进贤县 alone, before any evaluator reported."""
    from orchestration.cli import run_pipeline
    from tests.conftest import good_rows, write_csv_return

    home = Home.resolve(tmp_path / "home").ensure()
    write_csv_return(home.landing / "360124_2026Q4.csv", "360124", "进贤县", "2026Q4", good_rows(reference, "360124"))
    assert run_pipeline(home)
    (row,) = _published(
        home,
        "select total_score, indicator_score, rank_in_group, group_size, grade, light, "
        "is_ranked, missing_parts, ranking_note, result_status from marts.mart_unit_rankings",
    )
    assert row[:7] == (None, None, None, 0, None, None, False)
    assert row[7] == "satisfaction|leadership"
    assert row[8] == "数据不全，暂不排名：满意度评价（第三方评估·群众满意度）、领导评价尚无数据（定稿前不按0分计）"
    assert row[9] == "暂定（公示）"
    parts = dict(_published(home, "select part, score from marts.fct_part_scores where is_missing"))
    assert parts == {"satisfaction": None, "leadership": None}
    (status,) = _published(
        home,
        "select state, unit_returns_expected, unit_returns_accepted, "
        "evaluator_returns_accepted, evaluator_values_received, deadline "
        "from marts.mart_period_status where period = '2026Q4'",
    )
    beijing_today = (datetime.utcnow() + timedelta(hours=8)).date()
    assert status[0] == ("collecting" if beijing_today <= status[5] else "provisional")
    assert status[1:5] == (152, 1, 0, 0)
    missing = dict(
        _published(
            home,
            "select source || ':' || part, missing_indicators from "
            "marts.mart_period_completeness where unit_code = '360124'",
        )
    )
    assert missing["E01:satisfaction"] == "LO202" and missing["E06:leadership"] == "LE01"
    assert missing["self:indicators"] is None  # its own return is complete


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Home:
    from tests.ops_helpers import copy_home

    assert demo_run.succeeded
    return copy_home(demo_run.home, tmp_path / "home")


@pytest.mark.slow
def test_finalising_freezes_a_quarter_holds_late_returns_and_rescoring_only_compares(demo_copy, reference):
    from orchestration.cli import main, run_pipeline
    from tests.conftest import good_rows, write_csv_return

    home = demo_copy
    ranking_sql = (
        "select unit_code, total_score, rank_in_group, grade from marts.mart_unit_rankings "
        "where period = '2024Q4' order by unit_code"
    )
    before = _published(home, ranking_sql)
    assert main(["finalize", "2024Q4", "--by", "考核办", "--reason", "考核办会议审定", "--home", str(home.root)]) == 0
    assert _published(home, ranking_sql) == before  # complete demo data: finalising changes no number
    assert _published(
        home, "select distinct result_status, is_final from marts.mart_unit_rankings where period = '2024Q4'"
    ) == [("定稿", True)]
    assert _published(home, "select distinct result_status from marts.mart_unit_rankings where period = '2024Q3'") == [
        ("暂定（公示）",)
    ]
    assert _published(home, "select distinct result_status from marts.mart_unit_annual_scores where year = '2024'") == [
        ("暂定（公示）",)
    ]  # Q1–Q3 are not final
    assert _published(
        home,
        "select state, finalised_by, finalisation_reason, finalised_code_version is not null "
        "from marts.mart_period_status where period = '2024Q4'",
    ) == [("final", "考核办", "考核办会议审定", True)]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        frozen = con.execute("select mart, row_count from ops.official_snapshots").fetchall()
        sha_list = con.execute("select returns_sha256 from ops.period_decisions").fetchone()[0]
    assert ("mart_unit_rankings", len(before)) in frozen
    assert {"fct_indicator_scores", "fct_part_scores", "mart_red_black_list"} <= {mart for mart, n in frozen if n}
    assert len(sha_list.split(",")) == len(before) + 6  # each unit's and each evaluator's current return

    # a late corrected return for 进贤县: archived and valid, but held with a notice
    rows = [[*r[:4], 0 if r[1].startswith("SV") else r[4], r[5]] for r in good_rows(reference, "360124")]
    path = write_csv_return(home.landing / "360124_2024Q4_更正.csv", "360124", "进贤县", "2024Q4", rows)
    landed = datetime(2025, 2, 1, 9, 0).timestamp()  # late, but before the period closes (2025-04-30)
    os.utime(path, (landed, landed))
    assert run_pipeline(home)
    assert _published(home, "select status from marts.mart_return_log where file_name = '360124_2024Q4_更正.csv'") == [
        ("held",)
    ]
    (notice,) = home.notices.glob("*_360124_2024Q4_更正.csv.notice.txt")
    assert notice.read_text(encoding="utf-8").startswith("【暂存，未计分】2024Q4 已于 ")
    assert _published(home, ranking_sql) == before
    # the ledger opened one item per red light of the official 2024Q4 results; all past their deadline
    (reds,) = _published(
        home,
        "select count(*) from marts.fct_indicator_scores where period = '2024Q4' "
        "and light = 'red' and frequency = 'quarterly'",
    )
    assert _published(
        home,
        "select count(*), bool_and(is_overdue), min(deadline) from marts.fct_rectification_items "
        "where source = 'red_light' and period_found = '2024Q4'",
    ) == [(reds[0], True, datetime(2025, 4, 15).date())]

    # a re-scoring with different inputs (as a framework change or a backfill would bring)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "update raw.return_values set value = 0 where indicator_code like 'SV%' and sha256 = "
            "(select sha256 from raw.return_files where submitter_code = '360124' and period = '2024Q4' "
            "and status = 'accepted' order by received_at desc limit 1)"
        )
    assert main(["run", "--home", str(home.root)]) == 0  # the nightly rebuilds the per-value tables from raw
    assert main(["score", "2024Q4", "--home", str(home.root)]) == 0
    assert _published(home, ranking_sql) == before  # the official numbers stand
    (diff,) = _published(
        home,
        "select official_total_score, rescored_total_score, differs "
        "from marts.mart_official_comparison where unit_code = '360124'",
    )
    official = dict((r[0], r[1]) for r in before)["360124"]
    assert diff[0] == official and diff[1] < official and diff[2]
    assert _published(home, "select count(*) from marts.mart_official_comparison") == [(len(before),)]


def test_the_ui_jobs_record_decisions_with_who_and_why(tmp_path):
    import dagster as dg

    from orchestration.definitions import build_definitions

    home = Home.resolve(tmp_path / "home").ensure()
    with duckdb.connect(str(home.warehouse)) as con:
        ensure_raw_tables(con)
        _file(con, "a" * 64, "2024Q4", datetime(2025, 1, 10))
    defs = build_definitions(home)

    def launch(job: str, op: str, config: dict):
        return defs.resolve_job_def(job).execute_in_process(
            run_config={"ops": {op: {"config": config}}}, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )

    done = launch(
        "finalize_period", "record_finalisation", {"period": "2024q4", "reason": "审定", "decided_by": "考核办"}
    )
    assert done.success
    (event,) = done.asset_materializations_for_node("record_finalisation")
    assert event.asset_key == dg.AssetKey("period_decisions")
    assert {k: event.metadata[k].value for k in ("period", "action", "decided_by", "reason")} == {
        "period": "2024Q4",
        "action": FINALIZE,
        "decided_by": "考核办",
        "reason": "审定",
    }
    refused = launch("reopen_period", "record_reopening", {"period": "2024Q4"})
    assert not refused.success and "须说明理由" in str(refused.all_events)
    assert launch("reopen_period", "record_reopening", {"period": "2024Q4", "reason": "申诉成立"}).success
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert final_periods(con) == {}
    sensor = defs.resolve_sensor_def("rescore_after_period_decision")
    assert sensor.job_name == "nightly"


def test_overdue_deduction_items_cost_the_next_quarter_in_the_run_that_finalises(demo_copy):
    """定稿 2024Q3 opens its 督查 items (deadline 2024-10-15 + 60 days = 2024-12-14); all are overdue
    since 2024-12-15, in 2024Q4, so 2024Q4 loses 0.5 per item, in that same run; a late 销号
    through the CLI keeps the deduction and shows in the marts at once."""
    from orchestration.cli import main

    home = demo_copy
    totals_sql = (
        "select unit_code, total_score_exact, overdue_deduction from marts.mart_unit_rankings "
        "where period = '2024Q4' and total_score_exact is not null"
    )
    before = {code: total for code, total, _ in _published(home, totals_sql)}
    assert main(["finalize", "2024Q3", "--by", "考核办", "--reason", "审定", "--home", str(home.root)]) == 0

    items = _published(
        home,
        "select item_id, unit_code, deadline, deduction_period, is_overdue "
        "from marts.fct_rectification_items where source = 'deduction'",
    )
    assert items and {row[2:] for row in items} == {(datetime(2024, 12, 14).date(), "2024Q4", True)}
    per_unit: dict[str, int] = {}
    for _, unit, *_ in items:
        per_unit[unit] = per_unit.get(unit, 0) + 1
    listed = _published(home, "select item_id, period, points, reason from marts.mart_overdue_deductions")
    assert sorted(row[0] for row in listed) == sorted(row[0] for row in items)
    assert {row[1:3] for row in listed} == {("2024Q4", 0.5)}
    assert all("逾期未销号，按 rectification_rules.csv 扣 0.5 分" in row[3] for row in listed)
    after = {code: (total, overdue) for code, total, overdue in _published(home, totals_sql)}
    for code, total in before.items():  # no demo total is near the floor: nothing is clamped
        assert after[code][1] == 0.5 * per_unit.get(code, 0)
        assert abs(after[code][0] - (total - 0.5 * per_unit.get(code, 0))) < 1e-9
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from ops.period_builds where period in ('2024Q4', '2024') "
                "and run_id = (select run_id from ops.period_builds where period = '2024Q3')"
            ).fetchone()[0]
            == 2
        )  # re-scored by the run that finalised 2024Q3

    item = items[0][0]
    assert main(["rectify", "close", item, "--by", "考核办", "--home", str(home.root)]) == 0
    (closed,) = _published(home, "select points, reason from marts.mart_overdue_deductions where item_id = ?", [item])
    assert closed[0] == 0.5 and "才销号" in closed[1]
    assert _published(
        home, "select status, closed_on_time from marts.fct_rectification_items where item_id = ?", [item]
    ) == [("closed", False)]
