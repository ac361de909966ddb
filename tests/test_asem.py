"""Proof that the scoring engine is general and exact: the ASEM example data of COINr, scored by
wuxing's dbt project as a framework plus returns, checked against values computed here
independently to 1e-9.

ASEM (JRC COINr, MIT licence, shipped in tests/data/asem/ with its source): 51 countries, 49
indicators in a 4-level tree (indicator -> pillar -> sub-index -> index), equal weights, 17
lower-is-better indicators, 64 missing values (63 in the indicators, 1 in the denominator Energy,
which is not scored). Written in the project's own framework format (seeds) as five framework
versions that score the same period 2018Q4 (one officially, four re-scoring it for comparison):

  version        aggregation      weight of every node    normalisation
  asem_mean_1    weighted_mean    1 (ASEM's own metadata) min-max [0, 100]  official: published marts
  asem_mean_100  weighted_mean    100                     min-max [0, 100]
  asem_geo_1     geometric_mean   1                       min-max [1, 100]  (no zero in a geometric mean)
  asem_geo_100   geometric_mean   100                     min-max [1, 100]
  asem_z         weighted_mean    1                       z-score, sample sd, unbounded (no score floor)

Every version normalises across all 51 countries (normalisation_scope = tier: one tier `country`)
and ranks within two peer groups, Asia and Europe (EurAsia_group): normalisation scope and
ranking group are independent.

  - units.csv: the 51 countries, tier `country`, peer group `asia` or `europe`;
  - indicators.csv: the 49 indicators (direction from the metadata);
  - framework_nodes.csv: pillars (`measure`), sub-indices (`dimension`), the index (root);
  - framework_indicators.csv: every indicator `minmax`, missing values `exclude` (weights
    re-normalised over the indicators present);
  - grade_bands.csv: the Jiangxi bands scaled to the version's root weight.
Indicator codes are upper-cased (codes in returns are case-insensitive and stored upper-case).
Indicators with negative values (e.g. GDP growth) are of value type `signed`, the others `amount`.
The framework is a folder of its own in the home, named by the home's wuxing.toml; the data
arrive as production returns do: one CSV return per country for 2018Q4 (missing values have no
row) dropped into the home's landing/, and `wuxing run --home <home>` archives, parses and
validates them against the ASEM reference (GX suites), scores them with the project's dbt
project unchanged and publishes the marts.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.cli import main
from orchestration.home import CONFIG_FILE, Home
from orchestration.paths import SEEDS_DIR
from orchestration.returns import layout
from orchestration.returns.writer import write_return

ASEM_DIR = Path(__file__).parent / "data" / "asem"
PERIOD = "2018Q4"  # the data's year (Time = 2018), in the framework's own calendar (2018-2019)
LANDED = datetime(2019, 1, 10, 9, tzinfo=UTC)  # 2018Q4 was open (deadline 2019-01-15)
OFFICIAL = "asem_mean_1"
# version -> (aggregation, weight of every node, min-max lower bound or None for the z-score)
VERSIONS = {
    "asem_mean_1": ("weighted_mean", 1, 0),
    "asem_mean_100": ("weighted_mean", 100, 0),
    "asem_geo_1": ("geometric_mean", 1, 1),
    "asem_geo_100": ("geometric_mean", 100, 1),
    "asem_z": ("weighted_mean", 1, None),
}
# asem_z with the composite rescaled after aggregation: min-max of the z index to [0, 100] over all countries
RESCALED = "asem_z_rescaled"
ALL_VERSIONS = {**VERSIONS, RESCALED: VERSIONS["asem_z"]}
FIRST_LAST = [
    ("2018Q1", "2018Q4"),
    ("2019Q1", "2019Q1"),
    ("2019Q2", "2019Q2"),
    ("2019Q3", "2019Q3"),
    ("2019Q4", "2019Q4"),
    ("2020Q1", ""),
]
CALENDAR_YEARS = ("2018", "2019", "2020")  # the framework's own calendar: none of the Jiangxi partitions (2023 on)
EXACT = 1e-9
pytestmark = pytest.mark.slow  # a whole `wuxing run` on a home of its own


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def asem() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(ASEM_DIR / "ASEM_iData.csv")
    meta = pd.read_csv(ASEM_DIR / "ASEM_iMeta.csv")
    return data, meta


def _framework_seeds(seeds: Path, data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """The ASEM data set written as a wuxing framework (seeds), in the versions of ALL_VERSIONS."""
    seeds.mkdir(parents=True)
    for name in ("evaluators", "rectification_rules"):
        shutil.copy(SEEDS_DIR / f"{name}.csv", seeds / f"{name}.csv")
    calendar = pd.read_csv(SEEDS_DIR / "periods.csv", dtype=str, keep_default_na=False)
    _write(calendar[calendar.year.isin(CALENDAR_YEARS)], seeds / "periods.csv")
    newest = {
        name: table[table.framework_version == table.framework_version.max()]
        for name in ("grade_bands", "scoring_params")
        for table in [pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)]
    }
    params = newest["scoring_params"].set_index("param")
    params.loc["normalisation_scope", "value"] = "tier"  # across all countries, ranked in groups
    z_params = params.copy()
    z_params.loc["score_floor", "value"] = ""  # z totals are negative below the mean
    z_params.loc["zscore_sd", "value"] = "sample"
    rescaled = z_params.copy()
    rescaled.loc["composite_rescale", "value"] = "minmax"  # to [0, 100] (defaults), over the tier
    _write(
        pd.concat(
            [
                (rescaled if v == RESCALED else z_params if low is None else params)
                .reset_index()
                .assign(framework_version=v)
                for v, (_, _, low) in ALL_VERSIONS.items()
            ]
        ),
        seeds / "scoring_params.csv",
    )
    _write(
        pd.concat(
            [
                newest["grade_bands"].assign(
                    framework_version=v,
                    min_score=newest["grade_bands"].min_score.astype(float) * (100 if v == RESCALED else weight) / 100,
                )
                for v, (_, weight, _) in ALL_VERSIONS.items()
            ]
        ),
        seeds / "grade_bands.csv",
    )
    _write(
        pd.DataFrame(
            {
                "unit_code": data.uCode,
                "unit_name": data.uName,
                "short_name": data.uCode,
                "aliases": "",
                "tier": "country",
                "parent_code": "",
                "peer_group": data.EurAsia_group.str.lower(),
            }
        ),
        seeds / "units.csv",
    )
    _write(
        pd.DataFrame(
            [
                {
                    "peer_group": group.lower(),
                    "peer_group_name": group,
                    "tier": "country",
                    "sort_order": n,
                    "description": f"ASEM countries in {group}",
                }
                for n, group in enumerate(sorted(data.EurAsia_group.unique()), start=1)
            ]
        ),
        seeds / "peer_groups.csv",
    )
    leaves = meta[meta.Type == "Indicator"]
    signed = (data[leaves.iCode] < 0).any()
    _write(
        pd.DataFrame(
            {
                "indicator_code": leaves.iCode.str.upper(),
                "kind": "scored",
                "indicator_name_zh": leaves.iName,
                "indicator_name_en": leaves.iName,
                "unit_of_measure": leaves.Unit.fillna(""),
                "value_type": leaves.iCode.map(signed).map({True: "signed", False: "amount"}),
                "direction": leaves.Direction.map({1.0: "higher", -1.0: "lower"}),
                "tiers": "country",
                "source": "self",
                "required": "false",
                "allow_na": "false",
                "source_doc": "COINr ASEM",
                "description_zh": leaves.iName,
            }
        ),
        seeds / "indicators.csv",
    )
    _write(
        pd.DataFrame(
            [
                {
                    "framework_version": "",
                    "indicator_code": leaves.iCode.iloc[0].upper(),
                    "tier": "unused",
                    "peer_group": "",
                    "target": 1,
                    "note": "not used",
                }
            ]
        ),
        seeds / "indicator_targets.csv",
    )
    # the official version scores 2018; the others re-score 2018 for comparison (rescore_from_period)
    _write(
        pd.DataFrame(
            [
                {
                    "framework_version": v,
                    "first_period": first,
                    "last_period": last,
                    "rescore_from_period": "" if v == OFFICIAL else "2018Q1",
                    "annual_rollup": "mean_of_quarters",
                    "annual_indicator_weight": "",
                    "name_zh": v,
                    "name_en": f"ASEM sustainable connectivity ({v})",
                    "description_zh": "COINr 示例数据",
                }
                for v, (first, last) in zip(ALL_VERSIONS, FIRST_LAST)
            ]
        ),
        seeds / "framework_versions.csv",
    )
    aggregates = meta[meta.Type == "Aggregate"]
    node_type = {2.0: "measure", 3.0: "dimension", 4.0: "composite"}
    _write(
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "framework_version": v,
                        "node_code": aggregates.iCode,
                        "parent_code": aggregates.Parent.fillna(""),
                        "node_type": aggregates.Level.map(node_type),
                        "node_name_zh": aggregates.iName,
                        "node_name_en": aggregates.iName,
                        "weight": aggregates.Weight * weight,
                        "aggregation": aggregation,
                        "sort_order": range(1, len(aggregates) + 1),
                    }
                )
                for v, (aggregation, weight, _) in ALL_VERSIONS.items()
            ]
        ),
        seeds / "framework_nodes.csv",
    )
    _write(
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "framework_version": v,
                        "indicator_code": leaves.iCode.str.upper(),
                        "parent_code": leaves.Parent,
                        "weight": leaves.Weight * weight,
                        "method": "zscore" if low is None else "minmax",
                        "param_a": "" if low is None else low,
                        "param_b": "" if low is None else 100,
                        "missing_policy": "exclude",
                        "tiers": "",
                        "tolerated_indicator_code": "",
                        "sort_order": range(1, len(leaves) + 1),
                        "frequency": "quarterly",
                        "normalisation_scope": "",
                    }
                )
                for v, (_, weight, low) in ALL_VERSIONS.items()
            ]
        ),
        seeds / "framework_indicators.csv",
    )


def _drop_returns(home: Home, data: pd.DataFrame, meta: pd.DataFrame) -> None:
    """One CSV unit return per country in landing/, as a clerk would send it; missing values have no row."""
    leaves = meta[meta.Type == "Indicator"]
    catalogue = list(zip(leaves.iCode, leaves.iName, leaves.Unit.fillna("")))
    for country in data.to_dict("records"):
        rows = [
            [seq, code.upper(), name, unit, country[code], None]
            for seq, (code, name, unit) in enumerate(catalogue, start=1)
            if not pd.isna(country[code])
        ]
        path = write_return(
            home.landing / f"{country['uCode']}_{PERIOD}.csv",
            layout.RETURN_TYPE_UNIT,
            country["uCode"],
            country["uName"],
            PERIOD,
            rows,
        )
        os.utime(path, (LANDED.timestamp(), LANDED.timestamp()))


def _assert_scored_in_its_own_calendar(home: Home) -> None:
    """2018Q4 and its year were scored by a `score_periods` run over the partitions of the
    framework's own calendar (2018-2019), outside the Jiangxi partitions (2023 on)."""
    from orchestration.instance import instance_for
    from orchestration.periods import partition_keys

    assert partition_keys(home.framework)[:5] == ("2018Q1", "2018Q2", "2018Q3", "2018Q4", "2018")
    assert PERIOD not in partition_keys()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        ledger = dict(con.execute("select period, run_id from ops.period_builds").fetchall())
    assert set(ledger) == {PERIOD, "2018"}
    run = instance_for(home).get_run_by_id(ledger[PERIOD])
    assert run.job_name == "score_periods"
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        PERIOD,
        "2018",
    )


@pytest.fixture(scope="module")
def asem_run(tmp_path_factory: pytest.TempPathFactory, asem) -> Path:
    """A home scored with the ASEM framework folder (named in its wuxing.toml), run end to end by
    `wuxing run`: archive, intake against the ASEM reference, dbt build, publish."""
    data, meta = asem
    root = tmp_path_factory.mktemp("asem")
    _framework_seeds(root / "home" / "framework", data, meta)
    home = Home.resolve(root / "home").ensure()
    (home.root / CONFIG_FILE).write_text('framework = "framework"\n', encoding="utf-8")
    assert home.framework == home.root / "framework"
    _drop_returns(home, data, meta)
    assert main(["run", "--home", str(home.root)]) == 0
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        accepted = con.execute("select count(*) from raw.return_files where status = 'accepted'").fetchone()[0]
        rows_in = con.execute("select count(*) from raw.return_values").fetchone()[0]
        negatives = con.execute("select count(*) from raw.return_values where value < 0").fetchone()[0]
    assert (accepted, rows_in) == (51, 51 * 49 - 63)
    _assert_scored_in_its_own_calendar(home)
    assert negatives == int((data[meta.iCode[meta.Type == "Indicator"]] < 0).sum().sum()) > 0  # via intake
    return home.warehouse


def _expected(data: pd.DataFrame, meta: pd.DataFrame, aggregation: str, low: float | None) -> dict[str, pd.Series]:
    """Independent computation on the 0-100 scale: min-max to [low, 100] over all units (inverted
    for negative directions), or 100 x the z-score with the sample sd (low None), then
    equal-weight arithmetic or geometric means of what is present up the tree."""
    leaves = meta[meta.Type == "Indicator"].set_index("iCode")
    values = data.set_index("uCode")[leaves.index] * leaves.Direction  # goodness
    if low is None:
        normalised = (values - values.mean()) / values.std(ddof=1) * 100
    else:
        normalised = low + (100 - low) * (values - values.min()) / (values.max() - values.min())
    scores = {code.upper(): normalised[code] for code in leaves.index}
    parent = meta.set_index("iCode").Parent
    level = meta.set_index("iCode").Level
    current = normalised
    for lvl in (2.0, 3.0, 4.0):
        nodes = level[level == lvl].index
        children_of = {node: [c for c in current.columns if parent[c] == node] for node in nodes}
        if aggregation == "geometric_mean":
            current = pd.DataFrame(
                {node: np.exp(np.log(current[kids]).mean(axis=1, skipna=True)) for node, kids in children_of.items()}
            )
        else:
            current = pd.DataFrame(
                {node: current[kids].mean(axis=1, skipna=True) for node, kids in children_of.items()}
            )
        scores.update({node: current[node] for node in nodes})
    return scores


@pytest.mark.parametrize("version", list(VERSIONS))
def test_asem_scores_match_independent_computation_exactly(asem_run: Path, asem, version: str) -> None:
    """Every node's unrounded score equals the independent computation to 1e-9, and the rank
    follows the exact index, for both aggregations at weight 1 and at weight 100."""
    data, meta = asem
    aggregation, weight, low = VERSIONS[version]
    expected = _expected(data, meta, aggregation, low)
    with duckdb.connect(str(asem_run), read_only=True) as con:
        nodes = con.execute(
            "select unit_code, node_code, score_exact, ratio, is_counted from marts.fct_node_scores "
            "where period = ? and framework_version = ?",
            [PERIOD, version],
        ).df()
        ranked = (
            con.execute(
                "select unit_code, total_score, total_score_exact, rank_in_group, group_size "
                "from intermediate.int_unit_scores_ranked where framework_version = ?",
                [version],
            )
            .df()
            .set_index("unit_code")
        )
    got = nodes.pivot(index="unit_code", columns="node_code", values="score_exact")
    assert len(got) == 51
    assert set(got.columns) == set(expected), "every indicator and aggregate scored"
    for code, series in expected.items():  # points = ratio x weight on the version's scale; 0 if missing
        pd.testing.assert_series_equal(
            got[code].reindex(series.index),
            series.fillna(0) * weight / 100,
            check_names=False,
            atol=EXACT * weight / 100,
            rtol=0,
        )
    # the 63 missing indicator values: not counted, and excluded (not zero) in their pillar's mean
    leaves = {code.upper() for code in meta.iCode[meta.Type == "Indicator"]}
    missing = nodes[nodes.node_code.isin(leaves) & ~nodes.is_counted]
    assert len(missing) == 63 and missing.ratio.isna().all()
    # the index is the total (no bonus or deduction); published to 2 decimals, ranked on the exact value
    index = expected["Index"] * weight / 100
    assert (ranked.total_score_exact - index.reindex(ranked.index)).abs().max() < EXACT
    assert (ranked.total_score == index.reindex(ranked.index).round(2)).all()
    group = data.set_index("uCode").EurAsia_group
    assert ranked.group_size.to_dict() == group.map(group.value_counts()).to_dict()
    expected_rank = index.groupby(group).rank(method="min", ascending=False).astype(int)
    assert (ranked.rank_in_group == expected_rank.reindex(ranked.index)).all()


def test_z_composite_rescaled_after_aggregation(asem_run: Path, asem) -> None:
    """composite_rescale = minmax: the z index aggregated unrescaled (node scores as asem_z), then
    rescaled once to [0, 100] over all 51 countries; ranked and graded on the rescaled total."""
    data, meta = asem
    index = _expected(data, meta, "weighted_mean", None)["Index"] / 100  # root weight 1
    rescaled = (index - index.min()) / (index.max() - index.min()) * 100
    with duckdb.connect(str(asem_run), read_only=True) as con:
        totals = (
            con.execute(
                "select unit_code, composite_score, indicator_score from "
                "intermediate.int_composite_scores_rescaled where framework_version = ? "
                "and period = ?",
                [RESCALED, PERIOD],
            )
            .df()
            .set_index("unit_code")
        )
        ranked = (
            con.execute(
                "select unit_code, total_score_exact, rank_in_group from "
                "intermediate.int_unit_scores_ranked where framework_version = ?",
                [RESCALED],
            )
            .df()
            .set_index("unit_code")
        )
        roots = con.execute(
            "select framework_version, unit_code, score_exact from marts.fct_node_scores "
            "where node_code = 'Index' and framework_version in (?, ?)",
            ["asem_z", RESCALED],
        ).df()
    assert len(totals) == len(ranked) == 51
    assert (totals.composite_score - index.reindex(totals.index)).abs().max() < EXACT
    assert (ranked.total_score_exact - rescaled.reindex(ranked.index)).abs().max() < EXACT
    assert ranked.total_score_exact.min() == 0 and ranked.total_score_exact.max() == 100
    by_version = roots.pivot(index="unit_code", columns="framework_version", values="score_exact")
    assert (by_version["asem_z"] == by_version[RESCALED]).all()  # the tree itself is not rescaled
    group = data.set_index("uCode").EurAsia_group
    expected_rank = rescaled.groupby(group).rank(method="min", ascending=False).astype(int)
    assert (ranked.rank_in_group == expected_rank.reindex(ranked.index)).all()


def test_weight_one_framework_publishes_and_ranks_on_its_own_scale(asem_run: Path) -> None:
    """ASEM's own weights (1 per node): the totals lie in [0, 1], so 2-decimal published totals
    tie where the exact totals do not; the published ranks follow the exact totals."""
    with duckdb.connect(str(asem_run), read_only=True) as con:
        rows = con.execute(
            "select peer_group, total_score, total_score_exact, rank_score, rank_in_group, grade "
            "from marts.mart_unit_rankings where framework_version = ?",
            [OFFICIAL],
        ).df()
    assert len(rows) == 51 and rows.total_score.between(0, 1).all()
    assert rows.total_score.nunique() < 51 == rows.total_score_exact.nunique()  # ties only in display
    for _, group in rows.groupby("peer_group"):  # no shared rank
        assert sorted(group.rank_in_group) == list(range(1, len(group) + 1))
    assert (rows.rank_score == rows.total_score_exact).all()
    assert rows.grade.notna().all()


def test_asem_effective_weights_sum_to_one(asem_run: Path) -> None:
    with duckdb.connect(str(asem_run), read_only=True) as con:
        sums = con.execute(
            "select unit_code, sum(effective_weight) from marts.mart_effective_weights group by unit_code"
        ).fetchall()
        lpi = con.execute(
            "select min(effective_weight), max(effective_weight) "
            "from marts.mart_effective_weights where indicator_code = 'LPI'"
        ).fetchone()
    assert len(sums) == 51
    assert all(total == pytest.approx(1.0) for _, total in sums)
    # LPI: 1/2 (Conn) x 1/5 (pillars) x 1/8 (Physical's indicators) when all are present;
    # 1/7 of Physical where ConSpeed is missing (excluded, its weight re-normalised)
    assert lpi[0] == pytest.approx(1 / 2 * 1 / 5 * 1 / 8)
    assert lpi[1] == pytest.approx(1 / 2 * 1 / 5 * 1 / 7)


# --- Statistical audit (issue 18): mart_framework_audit and mart_indicator_correlations against an
# independent numpy/scipy computation from the ASEM data. COINr's definitions: skewness = sample
# G1 (COINr skew = Excel SKEW = scipy skew(bias=False)), kurtosis = sample excess G2 (COINr kurt =
# Excel KURT = scipy kurtosis(bias=False)), of the raw values present; Pearson correlations over
# pairwise complete units; Cronbach's alpha and PCA over complete cases, sample variances, PCA on
# standardised indicators (prcomp scale = TRUE), share = first eigenvalue / sum.


def _audit_reference(data: pd.DataFrame, meta: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, list[str]]]:
    """The official version's normalised indicators and aggregates (independent of the warehouse),
    and each dimension's (sub-index's) indicators."""
    scores = _expected(data, meta, "weighted_mean", 0)  # OFFICIAL's aggregation and min-max
    parent = meta.set_index("iCode").Parent
    level = meta.set_index("iCode").Level
    leaves = meta.iCode[meta.Type == "Indicator"]
    dimension_of = {code: parent[parent[code]] for code in leaves}
    members = {dim: [c.upper() for c in leaves if dimension_of[c] == dim] for dim in level[level == 3.0].index}
    return scores, members


def test_asem_audit_matches_independent_computation(asem_run: Path, asem) -> None:
    """Skewness, kurtosis, coverage, Cronbach's alpha and the first principal component's share
    per dimension equal scipy/numpy to 1e-9; the outlier flag follows COINr's rule."""
    from scipy import linalg, stats

    data, meta = asem
    scores, members = _audit_reference(data, meta)
    with duckdb.connect(str(asem_run), read_only=True) as con:
        audit = (
            con.execute(
                "select * from marts.mart_framework_audit where period = ? and framework_version = ?",
                [PERIOD, OFFICIAL],
            )
            .df()
            .set_index("node_code")
        )
    raw = data.set_index("uCode")
    for code in meta.iCode[meta.Type == "Indicator"]:
        row, values = audit.loc[code.upper()], raw[code].dropna()
        assert row.level == "indicator" and row.n_units == 51 and row.n_present == len(values)
        assert row.coverage == pytest.approx(len(values) / 51, abs=EXACT)
        assert row.skewness == pytest.approx(stats.skew(values, bias=False), abs=EXACT)
        assert row["kurtosis"] == pytest.approx(stats.kurtosis(values, bias=False), abs=EXACT)
        assert row.is_outlier_suspect == (abs(row.skewness) > 2 and row["kurtosis"] > 3.5)
    assert audit.is_outlier_suspect.any() and not audit.is_outlier_suspect.all()  # the rule discriminates
    for dimension, codes in members.items():
        table = pd.DataFrame({code: scores[code] for code in codes}) / 100
        complete = table.dropna()
        k, row = len(codes), audit.loc[dimension]
        alpha = k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))
        standardised = (complete - complete.mean()) / complete.std(ddof=1)
        singular = linalg.svd(standardised.to_numpy(), compute_uv=False)
        assert (row.level, row.n_indicators, row.n_complete_units) == ("dimension", k, len(complete))
        assert row.cronbach_alpha == pytest.approx(alpha, abs=EXACT)
        assert row.first_pc_share == pytest.approx(singular[0] ** 2 / (singular**2).sum(), abs=EXACT)
        assert row.coverage == pytest.approx(table.notna().sum().sum() / (51 * k), abs=EXACT)
        # two sub-indices of weight 1 under the index
        assert row.nominal_weight == pytest.approx(1 / 2, abs=EXACT)


def test_asem_correlations_match_independent_computation(asem_run: Path, asem) -> None:
    """Each indicator's Pearson correlation with its dimension, the index and the other indicators
    of its dimension equals scipy's to 1e-9, and the flags follow the thresholds."""
    from scipy import stats

    data, meta = asem
    scores, members = _audit_reference(data, meta)
    with duckdb.connect(str(asem_run), read_only=True) as con:
        corr = con.execute(
            "select * from marts.mart_indicator_correlations where period = ? and framework_version = ?",
            [PERIOD, OFFICIAL],
        ).df()
    got = corr.set_index(["indicator_code", "compared_with", "compared_code"])

    def pearson(x: pd.Series, y: pd.Series) -> tuple[int, float]:
        both = pd.concat([x, y], axis=1).dropna()
        return len(both), stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1]).statistic

    expected_flags = {}
    for dimension, codes in members.items():
        for code in codes:
            for kind, other, series in (
                ("dimension", dimension, scores[dimension]),
                ("composite", "composite", scores["Index"]),
            ):
                n, r = pearson(scores[code], series)
                row = got.loc[(code, kind, other)]
                assert row.n_units == n and row.correlation == pytest.approx(r, abs=EXACT)
                expected_flags[(code, kind, other)] = "negative" if r < -0.1 else "near_zero" if abs(r) <= 0.1 else None
            for other in (c for c in codes if c > code):
                n, r = pearson(scores[code], scores[other])
                row = got.loc[(code, "indicator", other)]
                assert row.n_units == n and row.correlation == pytest.approx(r, abs=EXACT)
                expected_flags[(code, "indicator", other)] = "redundant" if r > 0.92 else None
    assert len(got) == len(expected_flags)
    assert {key: (None if pd.isna(flag) else flag) for key, flag in got.flag.items()} == expected_flags
    assert set(expected_flags.values()) > {None}, "ASEM has flagged correlations"
