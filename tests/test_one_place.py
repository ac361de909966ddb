"""One place per rule: names and rules that must be written once in the code base."""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.paths import PROJECT_ROOT

ORCHESTRATION = PROJECT_ROOT / "orchestration"


def _sources():
    return {p: p.read_text(encoding="utf-8") for p in ORCHESTRATION.rglob("*.py")}


def test_run_tags_and_pools_are_written_once_in_defs_constants() -> None:
    """Every `wuxing/...` run tag and the warehouse pool are spelled only in defs/constants.py."""
    constants = ORCHESTRATION / "defs" / "constants.py"
    spelled = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for p, text in _sources().items()
        if p != constants and re.search(r"[\"']wuxing/[a-z_]+[\"']|[\"']duckdb_warehouse[\"']", text)
    }
    assert spelled == set()


def test_definitions_do_not_borrow_constants_from_the_ingest_module() -> None:
    for path, text in _sources().items():
        assert not re.search(r"from orchestration\.defs\.ingest import .*(POOL|TAG)", text), path


def test_python_quarter_index_matches_the_dbt_macro() -> None:
    """quarters.quarter_index and macros/period_index.sql give the same number for every quarter."""
    import duckdb
    import jinja2

    from orchestration.paths import DBT_PROJECT_DIR
    from orchestration.quarters import quarter_at, quarter_index

    macro = (
        jinja2.Environment()
        .from_string((DBT_PROJECT_DIR / "macros" / "period_index.sql").read_text(encoding="utf-8"))
        .module.period_index
    )
    periods = [f"{year}Q{q}" for year in range(2019, 2031) for q in range(1, 5)] + [""]
    with duckdb.connect() as con:
        rows = con.execute(f"select p, {macro('p')} from unnest(?) as t(p)", [periods]).fetchall()
    assert {p: i for p, i in rows} == {p: quarter_index(p) for p in periods}
    assert all(quarter_at(quarter_index(p)) == p for p in periods if p)


def test_fingerprint_offsets_are_the_quarters_the_sql_compares() -> None:
    """Every `period_index = x.period_index - n` join of the by-period models is in COMPARED_OFFSETS."""
    from orchestration.paths import DBT_PROJECT_DIR
    from orchestration.quarters import COMPARED_OFFSETS

    offsets = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        offsets |= {
            -int(n)
            for n in re.findall(r"period_index\s*=\s*\w+\.period_index\s*-\s*(\d+)", path.read_text(encoding="utf-8"))
        }
    assert offsets == set(COMPARED_OFFSETS)


def _framework_folders():
    return [
        PROJECT_ROOT / "seeds",
        *sorted(p for p in (PROJECT_ROOT / "frameworks").iterdir() if p.is_dir()),
        *sorted(p.parent for p in (PROJECT_ROOT / "tests" / "data").rglob("framework_indicators.csv")),
    ]


def _tier_contradictions(folder: Path) -> list[str]:
    """Framework rows whose tiers cell differs from the indicator's tiers in indicators.csv."""
    import pandas as pd

    catalogue = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    leaves = pd.read_csv(folder / "framework_indicators.csv", dtype=str, keep_default_na=False)
    if "tiers" not in leaves:
        return []
    tiers = dict(zip(catalogue.indicator_code, catalogue.tiers.map(lambda c: set(filter(None, c.split("|"))))))
    return [
        f"{folder.name}: {row.framework_version} {row.indicator_code}"
        for row in leaves.itertuples()
        if row.tiers and set(filter(None, row.tiers.split("|"))) != tiers.get(row.indicator_code)
    ]


def test_indicator_tiers_are_said_once(tmp_path) -> None:
    """indicators.csv says which tiers an indicator applies to (the return gate and the templates
    read it); a framework_indicators.csv tiers cell may only repeat it, never contradict it."""
    folders = _framework_folders()
    assert len(folders) >= 2 and all(_tier_contradictions(f) == [] for f in folders)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "indicators.csv").write_text("indicator_code,tiers\nA1,city|county\n")
    (bad / "framework_indicators.csv").write_text("framework_version,indicator_code,tiers\nv1,A1,city\n")
    assert _tier_contradictions(bad) == ["bad: v1 A1"]


def test_python_targets_and_versions_agree_with_the_scoring_sql(demo_run) -> None:
    """Reference.target (the template's 目标值) picks the target the scoring grid uses, and
    Reference.official_versions the versions int_scoring_runs_assigned marks official."""
    import duckdb

    from orchestration.reference import Reference

    reference = Reference.load()
    with duckdb.connect(str(demo_run.home.warehouse), read_only=True) as con:
        grid = con.execute(
            "select distinct indicator_code, tier, peer_group, framework_version, target "
            "from intermediate.int_scoring_grid_assembled"
        ).fetchall()
        official = con.execute(
            "select distinct period, framework_version from intermediate.int_scoring_runs_assigned where is_official"
        ).fetchall()
    assert grid and official
    mismatches = [row for row in grid if reference.target(*row[:4]) != row[4]]
    assert mismatches == []
    by_period: dict[str, set[str]] = {}
    for period, version in official:
        by_period.setdefault(period, set()).add(version)
    assert {p: set(reference.official_versions(p)) for p in by_period} == by_period
