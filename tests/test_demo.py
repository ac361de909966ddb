"""The demo generator: deterministic, complete, the intended format mix and exactly the intended defects."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orchestration.demo import PERIODS, generate_demo
from orchestration.reference import Reference
from orchestration.returns import layout

BAD_RULES = {"unknown_unit", "missing_indicator", "rate_out_of_range", "not_a_number", "duplicate_indicator"}


def file_format(path: Path) -> str:
    """'xlsx', 'utf-8-sig' or 'gb18030', judged from the bytes alone."""
    raw = path.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        return "xlsx"
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raw.decode("gb18030")  # raises if it is neither
        return "gb18030"
    return "utf-8"


def read_grid(path: Path) -> list[list[object]]:
    """All rows of a return as lists of cell values (csv cells as text, '' -> None)."""
    fmt = file_format(path)
    if fmt == "xlsx":
        workbook = load_workbook(path, read_only=True)
        rows = [list(row) for row in workbook[layout.DATA_SHEET].iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = path.read_bytes().decode(fmt)
    return [[cell if cell != "" else None for cell in row] for row in csv.reader(io.StringIO(text))]


def data_rows(grid: list[list[object]]) -> list[list[object]]:
    """The data rows: after the header, up to the blank row before the signature."""
    rows = []
    for row in grid[layout.FIRST_DATA_ROW - 1 :]:
        if all(cell is None for cell in row):
            break
        rows.append(row)
    return rows


def value_problem(value: object, ind) -> str | None:
    """Why a 填报值 is not acceptable for the indicator (None if it is)."""
    if value == "不适用":
        return None if ind.allow_na == "true" else "na"
    text = str(value).strip()
    if ind.value_type == "rate" and text.endswith("%"):
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        return "not_a_number"
    if ind.value_type in ("rate", "score") and not 0 <= number <= 100:
        return "rate_out_of_range"
    if ind.value_type == "count" and (number < 0 or number != int(number)):
        return "count"
    if ind.value_type == "flag" and number not in (0, 1):
        return "flag"
    if number < 0 and ind.value_type != "signed":
        return "negative"
    return None


def unit_return_problems(grid: list[list[object]], reference: Reference, tier: str) -> list[str]:
    """Every deviation of a unit return from its unit's applicable self indicators."""
    inds = {ind.indicator_code: ind for ind in reference.indicators_for(tier, "self").itertuples()}
    code_col = layout.UNIT_HEADER.index(layout.COL_INDICATOR_CODE)
    value_col = layout.UNIT_HEADER.index(layout.COL_VALUE)
    problems = []
    rows = data_rows(grid)
    counts = Counter(row[code_col] for row in rows)
    problems += ["duplicate_indicator" for code, n in counts.items() if n > 1]
    problems += ["missing_indicator" for code, ind in inds.items() if ind.required == "true" and code not in counts]
    problems += ["unknown_indicator" for code in counts if code not in inds]
    for row in rows:
        if row[code_col] in inds:
            problem = value_problem(row[value_col], inds[row[code_col]])
            if problem:
                problems.append(problem)
    return problems


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.load()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, reference):
    landing = tmp_path_factory.mktemp("landing_a")
    return landing, generate_demo(landing, seed=2024, reference=reference)


@pytest.fixture(scope="module")
def grids(demo) -> dict[str, list[list[object]]]:
    """Every demo file read back once: file name -> grid."""
    landing, manifest = demo
    return {path.name: read_grid(path) for path in manifest.files}


@pytest.fixture(scope="module")
def demo_again(tmp_path_factory, reference):
    landing = tmp_path_factory.mktemp("landing_b")
    return landing, generate_demo(landing, seed=2024, reference=reference)


@pytest.mark.slow  # generates a whole second demo set
def test_same_seed_gives_byte_identical_files_and_manifest(demo, demo_again):
    (first, m1), (second, m2) = demo, demo_again
    names = sorted(p.name for p in m1.files)
    assert names == sorted(p.name for p in m2.files)
    assert names == sorted(p.name for p in first.iterdir())
    assert m1.bad_files == m2.bad_files
    assert m1.resubmissions == m2.resubmissions
    assert m1.expected_unit_returns == m2.expected_unit_returns
    for name in names:
        a, b = first / name, second / name
        assert a.stat().st_mtime == b.stat().st_mtime, name
        assert a.read_bytes() == b.read_bytes(), name  # xlsx too: times inside are fixed


@pytest.mark.slow  # generates a whole second demo set
def test_other_seed_gives_other_returns(demo, tmp_path, reference):
    landing, manifest = demo
    other = generate_demo(tmp_path, seed=7, reference=reference)
    same_name_csv = [p.name for p in other.files if p.suffix == ".csv" and (landing / p.name).exists()]
    assert same_name_csv
    differing = [name for name in same_name_csv if (landing / name).read_bytes() != (tmp_path / name).read_bytes()]
    assert len(differing) > len(same_name_csv) // 2
    assert {p.name for p in other.files} != {p.name for p in manifest.files}


def test_every_unit_has_a_return_for_every_quarter(demo, reference):
    landing, manifest = demo
    names = [p.name for p in manifest.files]
    for unit_code in reference.units.unit_code:
        for period in PERIODS:
            assert any(n.startswith(f"{unit_code}_{period}_") for n in names), (unit_code, period)
    bad_unit_codes = {name.split("_")[0] for name, rule in manifest.bad_files.items() if rule != "unknown_unit"}
    assert len(bad_unit_codes) == 4
    everything = {(code, period) for code in reference.units.unit_code for period in PERIODS}
    assert manifest.expected_unit_returns == everything - {(c, "2024Q4") for c in bad_unit_codes}


def test_meta_row_matches_file_name_and_good_returns_are_valid(demo, grids, reference):
    landing, manifest = demo
    evaluators = set(reference.evaluators.evaluator_code)
    checked = 0
    for path in manifest.files:
        grid = grids[path.name]
        code, period = path.name.split("_")[:2]
        meta = grid[layout.META_ROW - 1]
        assert meta[:6] == [
            layout.META_UNIT_CODE,
            code,
            layout.META_UNIT_NAME,
            reference.unit_name.get(code, meta[3]),
            layout.META_PERIOD,
            period,
        ]
        assert str(grid[-1][0]).startswith("填表人：")
        if code in evaluators:
            assert grid[layout.HEADER_ROW - 1] == list(layout.EVALUATION_HEADER)
            continue
        assert grid[layout.HEADER_ROW - 1][:6] == list(layout.UNIT_HEADER)
        if path.name not in manifest.bad_files:
            assert unit_return_problems(grid, reference, reference.unit_tier[code]) == [], path.name
            checked += 1
    assert checked == len(manifest.expected_unit_returns) + len(manifest.resubmissions)


def test_format_mix(demo):
    landing, manifest = demo
    unit_files = [p for p in manifest.files if not p.name.startswith("E")]
    formats = Counter(file_format(p) for p in unit_files)
    assert set(formats) == {"xlsx", "utf-8-sig", "gb18030"}
    share = {fmt: n / len(unit_files) for fmt, n in formats.items()}
    assert 0.4 < share["xlsx"] < 0.6
    assert 0.15 < share["utf-8-sig"] < 0.35 and 0.15 < share["gb18030"] < 0.35
    for path in unit_files:
        assert (path.suffix == ".xlsx") == (file_format(path) == "xlsx"), path.name


def test_csv_values_are_typed_like_a_clerk(demo, grids, reference):
    landing, manifest = demo
    rates = set(reference.indicators[reference.indicators.value_type == "rate"].indicator_code)
    percent_written = 0
    for path in manifest.files:
        if path.suffix != ".csv" or path.name.startswith("E"):
            continue
        for row in data_rows(grids[path.name]):
            value = row[layout.UNIT_HEADER.index(layout.COL_VALUE)]
            if isinstance(value, str) and value.endswith("%"):
                assert row[1] in rates
                percent_written += 1
    assert percent_written > 0


def test_bad_files_have_exactly_the_intended_defect(demo, reference):
    landing, manifest = demo
    assert sorted(manifest.bad_files.values()) == sorted(BAD_RULES)
    names = [p.name for p in manifest.files]
    for name, rule in manifest.bad_files.items():
        assert name.split("_")[1] == "2024Q4"
        grid = read_grid(landing / name)
        code = grid[layout.META_ROW - 1][1]
        if rule == "unknown_unit":
            assert code == "369999" and code not in reference.unit_tier
            assert unit_return_problems(grid, reference, "county") == []
            continue
        # The bad file is the unit's only 2024Q4 return.
        assert [n for n in names if n.startswith(f"{code}_2024Q4_")] == [name]
        problems = unit_return_problems(grid, reference, reference.unit_tier[code])
        expected = ["missing_indicator"] * 2 if rule == "missing_indicator" else [rule]
        assert problems == expected, (name, problems)
        values = [row[layout.UNIT_HEADER.index(layout.COL_VALUE)] for row in data_rows(grid)]
        if rule == "rate_out_of_range":
            assert 120 in [float(v) for v in values if v is not None and v != "不适用" and not str(v).endswith("%")]
        if rule == "not_a_number":
            assert "八十五" in values
        if rule == "duplicate_indicator":
            codes = [row[1] for row in data_rows(grid)]
            ((dup, n),) = [(c, k) for c, k in Counter(codes).items() if k > 1]
            assert n == 2


def test_resubmissions_are_later_corrections(demo):
    landing, manifest = demo
    assert 2 <= len(manifest.resubmissions) <= 3
    for name in manifest.resubmissions:
        path = landing / name
        assert path.stem.endswith("_更正") and name.split("_")[1] == "2024Q3"
        original = landing / (path.stem.removesuffix("_更正") + path.suffix)
        assert original.exists()
        assert path.stat().st_mtime > original.stat().st_mtime
        assert data_rows(read_grid(path)) != data_rows(read_grid(original))


def test_receiving_order_follows_periods(demo):
    landing, manifest = demo
    by_submitter: dict[str, list[Path]] = defaultdict(list)
    for path in manifest.files:
        by_submitter[path.name.split("_")[0]].append(path)
    for submitter, paths in by_submitter.items():
        received = sorted(paths, key=lambda p: (p.stat().st_mtime, p.name))
        periods = [p.name.split("_")[1] for p in received]
        assert periods == sorted(periods), submitter
        stems = [p.stem for p in received]
        for i, stem in enumerate(stems):
            if stem.endswith("_更正"):
                assert stem.removesuffix("_更正") in stems[:i]


def test_evaluation_returns(demo, grids, reference):
    landing, manifest = demo
    sources = set(reference.indicators.source) - {"self"}
    assert sources
    for code in sources:
        for period in PERIODS:
            files = [p for p in manifest.files if p.name.startswith(f"{code}_{period}_评价.")]
            assert len(files) == 1, (code, period)
        rows = data_rows(grids[files[0].name])
        expected = {
            (unit.unit_code, ind.indicator_code)
            for unit in reference.units.itertuples()
            for ind in reference.indicators_for(unit.tier, code).itertuples()
        }
        assert {(row[1], row[3]) for row in rows} == expected
        assert len(rows) == len(expected)


def test_values_spread_across_units_and_move_over_time(demo, grids, reference):
    landing, manifest = demo
    by_unit_period: dict[tuple[str, str], dict[str, object]] = {}
    for path in manifest.files:
        code, period = path.name.split("_")[:2]
        if path.name in manifest.bad_files or code.startswith("E") or path.stem.endswith("_更正"):
            continue
        by_unit_period[code, period] = {row[1]: row[4] for row in data_rows(grids[path.name])}

    def number(value: object) -> float | None:
        try:
            return float(str(value).rstrip("%"))
        except ValueError:
            return None

    county = reference.units[reference.units.tier == "county"].unit_code.tolist()
    rate = next(
        ind.indicator_code for ind in reference.indicators_for("county").itertuples() if ind.value_type == "rate"
    )
    across = [number(by_unit_period[c, "2024Q1"].get(rate)) for c in county]
    across = [v for v in across if v is not None]
    assert max(across) - min(across) > 5
    moving = 0
    for c in county:
        series = [number(by_unit_period[c, p].get(rate)) for p in PERIODS if (c, p) in by_unit_period]
        moving += len(set(series)) > 1
    assert moving > len(county) * 0.8


def test_some_units_report_tolerated_incidents_never_more_than_the_incidents(demo, grids, reference):
    """容错 in the demo: E03 reports, per unit, the tolerated count of each deduction item that has one."""
    landing, manifest = demo
    pairs = reference.tolerated_of
    assert pairs
    seen = Counter()
    for path in manifest.files:
        if not path.name.startswith("E03_"):
            continue
        values = {(row[1], row[3]): int(row[6]) for row in data_rows(grids[path.name])}
        for (unit_code, code), tolerated in values.items():
            if code in pairs:
                incidents = values[unit_code, pairs[code]]
                assert 0 <= tolerated <= incidents, (path.name, unit_code)
                seen["tolerated" if tolerated else "incidents only" if incidents else "none"] += 1
    assert seen["tolerated"] >= 10 and seen["incidents only"] >= 10 and seen["none"] > 0
