"""A framework of one's own: a home whose wuxing.toml names a framework folder is validated,
templated, run and re-scored with it through the CLI. The example is frameworks/yichun/ (宜春市:
ten counties, three development zones and twelve municipal departments in six classes),
normalised across each tier, ranked within classes, on the published 2-decimal totals."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from orchestration.cli import main
from orchestration.defs.dbt import dbt_vars
from orchestration.home import CONFIG_FILE, Home
from orchestration.paths import PROJECT_ROOT, SEEDS_DIR
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.writer import write_return

YICHUN = PROJECT_ROOT / "frameworks" / "yichun"
PERIODS = {"2024Q1": datetime(2024, 4, 5, 9, tzinfo=UTC), "2024Q2": datetime(2024, 7, 5, 9, tzinfo=UTC)}
GROUP_SIZES = {"county_a": 4, "county_b": 6, "zone": 3, "dept_econ": 4, "dept_social": 4, "dept_regulate": 4}


def _home_with(root: Path, framework: Path | str) -> Home:
    home = Home.resolve(root).ensure()
    (home.root / CONFIG_FILE).write_text(f'framework = "{framework}"\n', encoding="utf-8")
    return home


def test_a_home_names_its_framework_folder_else_jiangxi(tmp_path):
    assert Home.resolve(tmp_path / "plain").framework == SEEDS_DIR
    assert "seed_path" not in dbt_vars(Home.resolve(tmp_path / "plain"))
    (tmp_path / "own" / "fw").mkdir(parents=True)
    home = _home_with(tmp_path / "own", "fw")
    assert home.framework == tmp_path / "own" / "fw"
    relative = dbt_vars(home)["seed_path"]  # relative to the dbt project, as dbt needs
    assert not os.path.isabs(relative)
    assert (PROJECT_ROOT / "dbt_project" / relative).resolve() == home.framework
    assert _home_with(tmp_path / "abs", YICHUN).framework == YICHUN


def _value(value_type: str, rng: random.Random) -> float:
    return {
        "flag": rng.choice([0, 1, 1]),
        "rate": round(rng.uniform(60, 100), 1),
        "count": rng.randint(0, 6),
        "signed": round(rng.uniform(-10, 25), 1),
        "score": round(rng.uniform(70, 98), 1),
    }[value_type]


def _drop_returns(home: Home, reference: Reference) -> None:
    """Every unit's return and the two evaluators' returns for 2024Q1 and 2024Q2, on time."""
    rng = random.Random(13)
    for period, landed in PERIODS.items():
        paths = []
        for unit in reference.units.itertuples():
            rows = [
                [n, r.indicator_code, r.indicator_name_zh, r.unit_of_measure, _value(r.value_type, rng), ""]
                for n, r in enumerate(reference.indicators_for(unit.tier, "self", period).itertuples(), 1)
            ]
            paths.append(
                write_return(
                    home.landing / f"{unit.unit_code}_{period}.csv",
                    layout.RETURN_TYPE_UNIT,
                    unit.unit_code,
                    unit.unit_name,
                    period,
                    rows,
                )
            )
        for evaluator in reference.evaluators.itertuples():
            rows = []
            for unit in reference.units.itertuples():
                values = {
                    r.indicator_code: _value(r.value_type, rng)
                    for r in reference.indicators_for(unit.tier, evaluator.evaluator_code, period).itertuples()
                }
                if "YDD1T" in values:  # tolerated incidents are part of the reported ones
                    values["YDD1T"] = min(values["YDD1T"], values["YDD1"])
                names = reference.indicators.set_index("indicator_code")
                rows += [
                    [
                        len(rows) + 1,
                        unit.unit_code,
                        unit.unit_name,
                        code,
                        names.indicator_name_zh[code],
                        names.unit_of_measure[code],
                        value,
                        "",
                    ]
                    for code, value in values.items()
                ]
            paths.append(
                write_return(
                    home.landing / f"{evaluator.evaluator_code}_{period}.csv",
                    layout.RETURN_TYPE_EVALUATION,
                    evaluator.evaluator_code,
                    evaluator.evaluator_name,
                    period,
                    rows,
                )
            )
        for path in paths:
            os.utime(path, (landed.timestamp(), landed.timestamp()))


@pytest.fixture(scope="module")
def yichun_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = _home_with(tmp_path_factory.mktemp("yichun"), YICHUN)
    _drop_returns(home, Reference.load(home.framework))
    assert main(["run", "--home", str(home.root)]) == 0
    return home


def _published(home: Home, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


@pytest.mark.slow
def test_the_city_framework_runs_end_to_end_through_the_cli(yichun_home: Home):
    home = yichun_home
    log = _published(home, "select status, count(*) as n from marts.mart_return_log group by status")
    assert dict(zip(log.status, log.n)) == {"accepted": 2 * (25 + 2)}
    rankings = _published(home, "select * from marts.mart_unit_rankings")
    assert len(rankings) == 2 * 25 and set(rankings.framework_version) == {"yc2024"}
    sizes = rankings.groupby(["period", "peer_group"]).size()
    assert all(sizes[period, group] == n for period in PERIODS for group, n in GROUP_SIZES.items())
    assert (rankings.group_size == rankings.peer_group.map(GROUP_SIZES)).all()
    # rank_by = published: ranks on the 2-decimal totals, equal published totals would tie
    assert (rankings.rank_score == rankings.total_score).all()
    for _, group in rankings.groupby(["period", "peer_group"]):
        expected = group.total_score.rank(method="min", ascending=False).astype(int)
        assert (group.rank_in_group == expected).all()
    assert set(rankings.grade) <= {"好", "较好", "一般", "较差"}


@pytest.mark.slow
def test_normalised_across_the_tier_and_ranked_within_classes(yichun_home: Home):
    """YIN1 (efficacy) is normalised across all 13 county-level units (the version's scope tier)
    although they are ranked in three classes; YDI2 declares peer_group and is compared within
    the class. Checked against the formula on the returns themselves."""
    home = yichun_home
    scores = _published(
        home,
        "select s.unit_code, s.period, s.indicator_code, s.raw_value, s.score_exact, "
        "s.peer_count, u.tier, u.peer_group from marts.fct_indicator_scores s "
        "join marts.dim_units u using (unit_code) where s.indicator_code in ('YIN1', 'YDI2')",
    )
    yin1 = scores[scores.indicator_code == "YIN1"]
    assert set(yin1[yin1.tier == "county"].peer_count) == {13}
    assert set(yin1[yin1.tier == "department"].peer_count) == {12}
    for _, peers in yin1.groupby(["period", "tier"]):
        low, high = peers.raw_value.min(), peers.raw_value.max()
        position = (peers.raw_value - low) / (high - low) if high > low else 1.0
        assert (peers.score_exact - 10 * (60 + 40 * position) / 100).abs().max() < 1e-9
    ydi2 = scores[scores.indicator_code == "YDI2"]
    assert (ydi2.peer_count == ydi2.peer_group.map(GROUP_SIZES)).all()


def test_template_and_validate_use_the_homes_framework(tmp_path):
    """Yichun's indicators, units and calendar: a county's template, an open quarter accepted, a
    Jiangxi county (not a unit of this framework) and a quarter outside Yichun's calendar rejected."""
    home = _home_with(tmp_path / "home", YICHUN)
    out = tmp_path / "360902_2025Q4.xlsx"
    assert (
        main(["template", "--home", str(home.root), "--unit", "360902", "--period", "2025Q4", "--out", str(out)]) == 0
    )
    cells = {str(c) for row in openpyxl.load_workbook(out).active.iter_rows(values_only=True) for c in row}
    assert {"YLO1", "YAC1", "YDI2"} <= cells and "LO101" not in cells  # Yichun's indicators, not Jiangxi's
    reference = Reference.load(home.framework)
    rows = [
        [n, r.indicator_code, r.indicator_name_zh, r.unit_of_measure, 1, ""]
        for n, r in enumerate(reference.indicators_for("county", "self").itertuples(), 1)
    ]

    def validate(code: str, name: str, period: str) -> int:
        path = write_return(tmp_path / f"{code}_{period}.csv", layout.RETURN_TYPE_UNIT, code, name, period, rows)
        return main(["validate", "--home", str(home.root), str(path)])

    assert validate("360902", "袁州区", "2025Q4") == 0
    assert validate("360124", "进贤县", "2025Q4") == 1  # a Jiangxi county, not a unit of this framework
    assert validate("360902", "袁州区", "2026Q1") == 1  # open in Jiangxi's calendar, not in Yichun's


@pytest.mark.slow
def test_rescoring_a_quarter_gives_the_same_bits(yichun_home: Home):
    home = yichun_home
    before = _published(home, "select * from marts.mart_unit_rankings order by period, unit_code")
    assert main(["score", "--home", str(home.root), "2024Q1"]) == 0
    after = _published(home, "select * from marts.mart_unit_rankings order by period, unit_code")
    pd.testing.assert_frame_equal(before, after)
