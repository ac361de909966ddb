"""Rank uncertainty (issue 18) on a copy of the demo home: a replication with no noise reproduces
the production totals and ranks exactly, and an analysis is reproducible from its seed."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration import uncertainty
from orchestration.defs.dbt import dbt_resource, dbt_target
from orchestration.home import Home

pytestmark = pytest.mark.slow  # dbt builds of the replicated ranks


@pytest.fixture(scope="module")
def home(demo_run, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A writable copy of the shared demo home (the analysis writes into its warehouse)."""
    assert demo_run.succeeded
    root = tmp_path_factory.mktemp("uncertainty") / "home"
    shutil.copytree(demo_run.home.root, root)
    return Home.resolve(root).ensure()


def _build(home: Home) -> None:
    dbt_resource().cli(uncertainty.dbt_args(home), target_path=dbt_target(home, "uncertainty")).wait()


def test_zero_noise_replication_reproduces_production_exactly(home: Home) -> None:
    period = uncertainty.latest_quarter(home)
    with duckdb.connect(str(home.warehouse)) as con:
        version = uncertainty.official_version(con, period)
        choices = uncertainty.Choices(version)  # no weight range, missing policy kept
        problem, design = uncertainty.sample(choices, 3, seed=1)
        uncertainty.write_replicates(con, period, choices, problem, design, seed=1)
    _build(home)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        got = con.execute(
            "select replicate, unit_code, total_score, rank_in_group, production_rank "
            "from intermediate.int_unit_ranks_replicated"
        ).df()
        production = (
            con.execute(
                "select unit_code, total_score_exact from intermediate.int_unit_scores_ranked "
                "where period = ? and is_official and is_rankable and total_score_exact is not null",
                [period],
            )
            .df()
            .set_index("unit_code")
            .total_score_exact
        )
    assert sorted(got.replicate.unique()) == [1, 2, 3] and len(got) == 3 * len(production) > 0
    assert (got.rank_in_group == got.production_rank).all()
    assert (got.total_score.to_numpy() == production.reindex(got.unit_code).to_numpy()).all()  # same bits


def test_analysis_is_reproducible_from_its_seed(home: Home) -> None:
    period = uncertainty.latest_quarter(home)
    tables = []
    for _ in range(2):
        analysis = uncertainty.analyse(home, period, lambda: _build(home), replications=40, seed=7)
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            tables.append(
                (
                    con.execute("select * from marts.mart_rank_uncertainty order by unit_code").df(),
                    con.execute("select * from marts.mart_rank_sensitivity order by choice").df(),
                )
            )
    assert analysis.replications >= 40
    for first, second in zip(*tables):
        assert first.equals(second)
    ranks, indices = tables[0]
    assert (ranks.rank_p05 <= ranks.median_rank).all() and (ranks.median_rank <= ranks.rank_p95).all()
    assert (ranks.rank_p95 > ranks.rank_p05).any(), "±25% weights move some ranks"
    assert set(indices.choice) >= {uncertainty.MISSING_CHOICE}
