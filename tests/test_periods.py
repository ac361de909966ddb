"""Period partitions: the plan of stale periods, the ledger, and re-scoring one period alone."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt import dbt_build_args, dbt_target, dbt_vars, periods_to_build
from orchestration.home import Home
from orchestration.periods import (
    REASON_CODE,
    REASON_DEPENDENT,
    REASON_LEDGER,
    REASON_NEW,
    REASON_RETURNS,
    PeriodPlan,
    partition_keys,
    plan,
    record_builds,
    select_periods,
)
from orchestration.warehouse import ensure_raw_tables
from tests.conftest import good_rows, write_csv_return

PERIOD_TABLES = [
    "intermediate.int_indicator_scores_computed",
    "intermediate.int_unit_scores_compared",
    "marts.fct_indicator_scores",
    "marts.fct_node_scores",
    "marts.fct_dimension_scores",
    "marts.mart_unit_rankings",
    "marts.mart_red_black_list",
    "marts.mart_unit_strengths",
    "marts.mart_dimension_contributions",
    "marts.mart_effective_weights",
    "marts.mart_unit_annual_scores",
]


def _accept(con: duckdb.DuckDBPyConnection, sha: str, period: str, status: str = "accepted") -> None:
    con.execute(
        "insert into raw.return_files values (?, 'f.csv', 'a', now(), now(), 1, 'unit', '360124', ?, ?, '', 0, 0)",
        [sha, period, status],
    )


@pytest.fixture
def ledger_db():
    con = duckdb.connect()
    ensure_raw_tables(con)
    for n, period in enumerate(["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2"]):
        _accept(con, f"sha{n}", period)
    yield con
    con.close()


def test_partitions_are_the_quarters_with_each_years_roll_up_after_its_q4():
    keys = partition_keys()
    assert keys[:5] == ("2023Q1", "2023Q2", "2023Q3", "2023Q4", "2023")  # v2023 is the first framework
    assert keys.index("2024") == keys.index("2024Q4") + 1 == keys.index("2025Q1") - 1
    assert len(keys) == 25 and len(set(keys)) == 25  # 2023Q1..2027Q4 and the years 2023..2027


def _home_with_calendar(root, years: tuple[str, ...], first: str) -> Home:
    """A home whose wuxing.toml names a copy of the Jiangxi framework with its own calendar."""
    import csv

    from orchestration.home import CONFIG_FILE
    from orchestration.paths import SEEDS_DIR

    framework = root / "framework"
    shutil.copytree(SEEDS_DIR, framework)
    with (SEEDS_DIR / "periods.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["year"] in years]
    with (framework / "periods.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    versions = (framework / "framework_versions.csv").read_text(encoding="utf-8")
    (framework / "framework_versions.csv").write_text(versions.replace("2023Q1", first), encoding="utf-8")
    (root / CONFIG_FILE).write_text('framework = "framework"\n', encoding="utf-8")
    return Home.resolve(root)


def test_a_homes_partitions_follow_its_frameworks_calendar(tmp_path):
    """A framework calendar of 2018-2019: the jobs, assets, plan ranges and the CLI take its
    periods, not the Jiangxi partitions (2023Q1 on)."""
    from orchestration.cli import main
    from orchestration.definitions import build_definitions
    from orchestration.defs.periods import scoring_tags

    home = _home_with_calendar(tmp_path / "home", ("2018", "2019"), "2018Q1")
    keys = partition_keys(home.framework)
    assert keys == ("2018Q1", "2018Q2", "2018Q3", "2018Q4", "2018", "2019Q1", "2019Q2", "2019Q3", "2019Q4", "2019")
    definitions = build_definitions(home)
    for job in ("score_periods", "nightly"):
        partitions = definitions.resolve_job_def(job).partitions_def
        assert partitions is None if job == "nightly" else tuple(partitions.get_partition_keys()) == keys
    graph = definitions.resolve_asset_graph()
    for key in (dg.AssetKey(["marts", "mart_unit_rankings"]), dg.AssetKey("period_reports")):
        assert tuple(graph.get(key).partitions_def.get_partition_keys()) == keys
    assert "2024Q1" in partition_keys() and "2018Q4" not in partition_keys()  # the Jiangxi default is apart
    assert json.loads(scoring_tags("2018Q4", "2019Q1", keys)["wuxing/periods"]) == ["2018Q4", "2018", "2019Q1"]
    con = duckdb.connect()
    ensure_raw_tables(con)
    for n, period in enumerate(["2018Q3", "2018Q4", "2024Q1"]):  # 2024Q1: outside this calendar
        _accept(con, f"sha{n}", period)
    assert plan(con, code="v1", framework=home.framework).ranges() == [("2018Q3", "2018")]
    assert main(["score", "--home", str(home.root), "2024Q1"]) == 2  # a Jiangxi period, not this home's


def test_plan_scores_new_periods_then_only_what_a_change_reaches(ledger_db):
    first = plan(ledger_db, code="v1")
    assert first.stale == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2023", "2024Q1", "2024Q2", "2024"]
    assert set(first.reasons.values()) == {REASON_NEW}
    assert first.ranges() == [("2023Q1", "2024")]  # 2024Q3 and 2024Q4 have no returns yet

    record_builds(ledger_db, first.stale, "run-1", code="v1")
    assert plan(ledger_db, code="v1").reasons == {}

    _accept(ledger_db, "rejected", "2023Q2", status="rejected")  # a rejection changes no score
    assert plan(ledger_db, code="v1").reasons == {}

    _accept(ledger_db, "resubmitted", "2023Q2")  # a corrected return for 2023Q2
    after = plan(ledger_db, code="v1")
    assert after.reasons == {
        "2023Q2": REASON_RETURNS,
        "2023Q3": REASON_DEPENDENT,  # change since last quarter
        "2024Q2": REASON_DEPENDENT,  # change since the same quarter a year before
        "2023": REASON_DEPENDENT,
    }  # the annual roll-up of 2023
    assert after.ranges() == [("2023Q2", "2023Q3"), ("2023", "2023"), ("2024Q2", "2024Q2")]
    assert len(after.unchanged) == 4 and "2023Q2" in after.markdown()

    record_builds(ledger_db, ["2023Q2", "2023Q3"], "run-2", code="v1")  # a run that scored only part
    assert set(plan(ledger_db, code="v1").reasons) == {"2023", "2024Q2"}


def test_an_overdue_ledger_item_re_scores_the_quarter_it_costs(ledger_db):
    # Stand-in for the dbt view int_rectification_deductions_assigned (rule R3).
    ledger_db.execute(
        "create schema intermediate; create table intermediate.int_rectification_deductions_assigned "
        "(period varchar, item_id varchar, points double, status varchar, closed_at timestamp)"
    )
    record_builds(ledger_db, list(partition_keys()), "run-1", code="v1")
    assert plan(ledger_db, code="v1").reasons == {}

    ledger_db.execute(
        "insert into intermediate.int_rectification_deductions_assigned "
        "values ('2023Q2', 'D-360124-2023Q1-DD01', 0.5, 'open', null)"
    )  # went overdue in 2023Q2
    overdue = plan(ledger_db, code="v1")
    assert overdue.reasons == {
        "2023Q2": REASON_LEDGER,
        "2023Q3": REASON_DEPENDENT,
        "2024Q2": REASON_DEPENDENT,
        "2023": REASON_DEPENDENT,
    }
    record_builds(ledger_db, overdue.stale, "run-2", code="v1")
    ledger_db.execute(
        "update intermediate.int_rectification_deductions_assigned set status = 'closed', closed_at = '2023-05-01'"
    )  # closed late: the row says so
    assert plan(ledger_db, code="v1").reasons["2023Q2"] == REASON_LEDGER


def test_new_scoring_rules_make_every_period_stale(ledger_db):
    record_builds(ledger_db, list(partition_keys()), "run-1", code="v1")
    changed = plan(ledger_db, code="v2")
    assert len(changed.reasons) == 8 and set(changed.reasons.values()) == {REASON_CODE}


def test_ranges_split_at_unchanged_partitions():
    stale = PeriodPlan(
        reasons={key: REASON_NEW for key in ["2023Q4", "2023", "2024Q1", "2024Q3", "2026Q1"]},
        unchanged=("2023Q3", "2024Q2"),
    )
    # 2024Q2 is up to date and splits; 2024Q4 to 2025 have no returns (nothing to score) and do not.
    assert stale.ranges() == [("2023Q4", "2024Q1"), ("2024Q3", "2026Q1")]
    assert PeriodPlan().ranges() == [] and "nothing to re-score" in PeriodPlan().markdown()


def test_a_scoring_run_limits_dbt_to_its_periods_unless_it_covers_them_all(tmp_path):
    home = Home.resolve(tmp_path)
    with_returns = {"2024Q1", "2024Q2", "2024"}
    assert periods_to_build(["2024Q2", "2024Q1"], with_returns) == ["2024Q1", "2024Q2"]
    assert periods_to_build(["2024Q1", "2024Q2", "2024Q3", "2024"], with_returns) is None
    args = dbt_build_args(home)
    assert args[:2] == ["build", "--vars"] and json.loads(args[2]) == dbt_vars(home)
    assert "periods" not in json.loads(args[2]) and "--full-refresh" not in args
    assert "--full-refresh" in dbt_build_args(home, full_refresh=True)
    assert dbt_build_args(home)[-2:] == ["--exclude-resource-type", "unit_test"]
    assert "unit_test" not in dbt_build_args(home, unit_tests=True)


def test_the_periods_of_a_run_are_data_not_dbt_vars(tmp_path):
    """The run writes its periods into ops.scoring_selection (a row '*' for all of them), so the
    dbt arguments stay the same between runs and dbt's partial parse holds."""
    from orchestration.periods import select_periods

    home = Home.resolve(tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        select_periods(con, ["2024Q4", "2024"])
        assert sorted(con.execute("select * from ops.scoring_selection").fetchall()) == [
            ("2024", "year"),
            ("2024Q4", "quarter"),
        ]
        select_periods(con, None)
        assert con.execute("select * from ops.scoring_selection").fetchall() == [("*", "*")]
    assert dbt_build_args(home) == dbt_build_args(home)  # nothing run-specific in the arguments


def _period_tables(database) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {table: con.execute(f"select * from {table} order by all").fetchall() for table in PERIOD_TABLES}


def _ledger(home: Home) -> dict[str, tuple[str, datetime]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            period: (run_id, built)
            for period, run_id, built in con.execute(
                "select period, run_id, built_at from ops.period_builds"
            ).fetchall()
        }


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Home:
    home = Home.resolve(tmp_path / "home")
    shutil.copytree(demo_run.home.root, home.root, symlinks=True)
    return home


def test_demo_run_scored_every_period_once_and_says_so(demo_run):
    from orchestration.instance import instance_for

    ledger = _ledger(demo_run.home)
    assert set(ledger) == {
        "2023Q1",
        "2023Q2",
        "2023Q3",
        "2023Q4",
        "2023",
        "2024Q1",
        "2024Q2",
        "2024Q3",
        "2024Q4",
        "2024",
    }
    (scoring_run,) = {run_id for run_id, _ in ledger.values()}
    instance = instance_for(demo_run.home)
    run = instance.get_run_by_id(scoring_run)
    assert run.job_name == "score_periods" and run.tags["dagster/asset_partition_range_start"] == "2023Q1"
    published = instance.fetch_materializations(dg.AssetKey("published_marts"), limit=10).records
    by_run = {r.event_log_entry.run_id: r.asset_materialization.metadata for r in published}
    assert by_run[scoring_run]["periods_scored_in_run"].value == sorted(ledger, key=partition_keys().index)
    plan_meta = (
        instance.fetch_materializations(dg.AssetKey("period_plan"), limit=1, ascending=True)
        .records[0]
        .asset_materialization.metadata
    )
    assert plan_meta["scoring_runs"].value == [["2023Q1", "2024"]]


@pytest.mark.slow
def test_a_corrected_return_rescores_its_period_and_those_compared_with_it(demo_copy, reference, tmp_path):
    """Only the stale periods are rebuilt, and the result equals a full rebuild from scratch."""
    from orchestration.cli import run_pipeline
    from orchestration.defs.dbt import dbt_resource

    home = demo_copy
    before_ledger, before = _ledger(home), _period_tables(home.warehouse)
    rows = good_rows(reference, "360124")
    path = write_csv_return(
        home.landing / "360124_2024Q3_更正.csv", "360124", reference.unit_name["360124"], "2024Q3", rows
    )
    on_time = datetime(2024, 10, 10, 9, 0).timestamp()  # before the 2024Q3 deadline, as if sent then
    os.utime(path, (on_time, on_time))
    assert run_pipeline(home)
    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        assert con.execute("select status from marts.mart_return_log where file_name = ?", [path.name]).fetchall() == [
            ("accepted",)
        ]

    after_ledger, after = _ledger(home), _period_tables(home.warehouse)
    rescored = {period for period in after_ledger if after_ledger[period] != before_ledger[period]}
    # its quarter, the next (change since last quarter) and the year's roll-up; no 2025Q3 to compare yet
    assert rescored == {"2024Q3", "2024Q4", "2024"}
    moved = {row for row in after["marts.mart_unit_rankings"] if row not in before["marts.mart_unit_rankings"]}
    assert {row[6] for row in moved} == {"2024Q3", "2024Q4"}
    for table in ("marts.mart_unit_rankings", "marts.fct_indicator_scores"):  # 2023 untouched
        assert [r for r in after[table] if "2023Q3" in r] == [r for r in before[table] if "2023Q3" in r]

    full = Home.resolve(tmp_path / "full").ensure()
    shutil.copy(home.warehouse, full.warehouse)
    with duckdb.connect(str(full.warehouse)) as con:
        select_periods(con, None)
    dbt_resource().cli(
        [*dbt_build_args(full, full_refresh=True), "--select", "tag:period"], target_path=full.root / "dbt_target"
    ).wait()
    assert _period_tables(full.warehouse) == after


@pytest.mark.slow
def test_one_quarter_can_be_rescored_alone_from_dagster(demo_copy):
    from orchestration.definitions import build_definitions
    from orchestration.instance import instance_for

    home = demo_copy
    before_ledger, before = _ledger(home), _period_tables(home.warehouse)
    job = build_definitions(home).resolve_job_def("score_periods")
    result = job.execute_in_process(instance=instance_for(home), partition_key="2024Q1")
    assert result.success
    after_ledger = _ledger(home)
    assert {p for p in after_ledger if after_ledger[p] != before_ledger[p]} == {"2024Q1"}
    assert after_ledger["2024Q1"][0] == result.run_id
    assert _period_tables(home.warehouse) == before  # same returns, same scores
    results = json.loads((dbt_target(home, "periods") / "run_results.json").read_text())["results"]
    assert {r["unique_id"].split(".")[0] for r in results} == {"model", "test"}  # code unchanged: no unit tests
    partitions = {
        e.partition
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.path[-1] == "mart_unit_rankings"
    }
    assert partitions == {"2024Q1"}


def test_sensor_asks_for_one_scoring_run_per_stale_range(demo_run):
    from orchestration.defs.automation import score_changed_periods
    from orchestration.defs.resources import WuxingHome
    from orchestration.instance import instance_for

    instance = instance_for(demo_run.home)
    intake = instance.get_runs(dg.RunsFilter(job_name="nightly"), limit=1, ascending=True)[0]
    succeeded = instance.all_logs(intake.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)[0].dagster_event
    daemon_run = intake._replace(tags={})  # as if the daemon had launched it, not `wuxing run`
    context = dg.build_run_status_sensor_context(
        sensor_name="score_changed_periods",
        dagster_event=succeeded,
        dagster_instance=instance,
        dagster_run=daemon_run,
        resources={"wuxing": WuxingHome(root=str(demo_run.home.root))},
    )
    requests = list(score_changed_periods(context))
    assert [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) for r in requests
    ] == [("2023Q1", "2024")]
    assert requests[0].run_key == f"{intake.run_id}:2023Q1..2024"
    assert requests[0].tags["wuxing/after_run"] == intake.run_id


@pytest.mark.slow
def test_a_failed_scoring_run_publishes_nothing_until_the_next_run_repairs_it(demo_copy):
    """Half-rebuilt scores are never published: not by the failed run, not by the next intake run;
    the next plan re-scores the unfinished periods even though their returns did not change."""
    from orchestration.cli import main, run_pipeline
    from orchestration.instance import instance_for
    from orchestration.periods import REASON_UNFINISHED

    home = demo_copy
    published = home.published / "wuxing.duckdb"
    scores = _period_tables(home.warehouse)
    before = (published.read_bytes(), (home.published / "parquet").readlink())
    with duckdb.connect(str(home.warehouse)) as con:  # the scores' tests check against dim_units: gone
        con.execute("drop table marts.dim_units")
    assert main(["score", "2024Q3", "2024Q4", "--home", str(home.root)]) == 1
    assert (published.read_bytes(), (home.published / "parquet").readlink()) == before
    with duckdb.connect(str(home.warehouse)) as con:
        assert plan(con).reasons == {"2024Q3": REASON_UNFINISHED, "2024Q4": REASON_UNFINISHED}

    assert run_pipeline(home)  # intake rebuilds dim_units and holds back publishing; scoring repairs
    with duckdb.connect(str(home.warehouse)) as con:
        assert plan(con).reasons == {}
    instance = instance_for(home)
    publishing_jobs = [
        instance.get_run_by_id(r.event_log_entry.run_id).job_name
        for r in instance.fetch_materializations(dg.AssetKey("published_marts"), limit=2).records
    ]
    assert publishing_jobs == ["score_periods", "score_periods"]  # the latest one and the demo's
    assert _period_tables(home.warehouse) == scores  # same returns, same scores, published again
    assert published.read_bytes() != before[0]
