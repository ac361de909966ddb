"""The scoring benchmark (benchmarks/): it runs at small scale and its floor query agrees with the
marts. It measures; no time is asserted."""

import json

import duckdb
import pytest

from benchmarks.run import run
from benchmarks.synthetic import quarters, write_home

pytestmark = pytest.mark.slow


def test_synthetic_home_has_one_value_per_unit_indicator_and_quarter(tmp_path):
    data = write_home(tmp_path / "home", scale=300, quarter_count=2)
    assert data["units"] == 300 and data["quarters"] == 2
    with duckdb.connect(str(tmp_path / "home" / "warehouse" / "wuxing.duckdb"), read_only=True) as con:
        dupes = con.execute(
            "select count(*) from (select unit_code, period, indicator_code from raw.return_values "
            "group by all having count(*) > 1)"
        ).fetchone()[0]
        periods = [p for (p,) in con.execute("select distinct period from raw.return_files order by 1").fetchall()]
    assert dupes == 0
    assert periods == quarters(2) == ["2024Q1", "2024Q2"]


def test_benchmark_runs_and_the_floor_agrees_with_the_marts(tmp_path):
    code = run(200, 1, str(tmp_path / "work"), str(tmp_path / "out"), with_intake=False)
    result = json.loads((tmp_path / "out" / "scale200_q1.json").read_text(encoding="utf-8"))
    assert code == 0
    assert [row["step"] for row in result["steps"]] == [
        "fixed",
        "reference",
        "periods",
        "publish",
        "floor",
        "run_nothing_new",
    ]
    assert result["agreement"]["compared"] == 200 and result["agreement"]["rank_differences"] == 0
    assert result["agreement"]["max_total_difference"] <= 1e-9
    assert all(row["seconds"] > 0 and row["peak_rss_mib"] > 0 for row in result["steps"])
    table = (tmp_path / "out" / "scale200_q1.md").read_text(encoding="utf-8")
    assert "| periods |" in table and "/ floor query" in table
