"""Shared fixtures: offline settings, the reference data, and one full demo run per session."""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import duckdb  # noqa: E402
import pytest  # noqa: E402

from orchestration.demo import DemoManifest, generate_demo  # noqa: E402
from orchestration.home import Home  # noqa: E402
from orchestration.reference import Reference  # noqa: E402


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load()


@dataclass
class DemoRun:
    """A home after one full pipeline run on the demo data."""

    home: Home
    manifest: DemoManifest
    succeeded: bool

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a query on the published DuckDB, read-only, as an analyst would."""
        with duckdb.connect(str(self.home.published / "wuxing.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Generate the demo returns into a fresh home and run the nightly job once, in-process."""
    from orchestration.cli import run_pipeline

    home = Home.resolve(tmp_path_factory.mktemp("demo_home")).ensure()
    manifest = generate_demo(home.landing, seed=2024)
    return DemoRun(home=home, manifest=manifest, succeeded=run_pipeline(home))


def write_csv_return(path: Path, code: str, name: str, period: str, rows: list[list[object]]) -> Path:
    """A unit return in CSV through the project's own writer."""
    from orchestration.returns import layout
    from orchestration.returns.writer import write_return

    return write_return(path, layout.RETURN_TYPE_UNIT, code, name, period, rows)


GOOD_VALUE = {"rate": 85.5, "count": 3, "amount": 12.5, "signed": -1.5, "score": 80, "flag": 1}


def good_rows(reference: Reference, unit_code: str) -> list[list[object]]:
    """Valid data rows for every self-reported indicator of a unit's tier."""
    tier = reference.unit_tier[unit_code]
    return [[n, r.indicator_code, r.indicator_name_zh, r.unit_of_measure, GOOD_VALUE[r.value_type], ""]
            for n, r in enumerate(reference.indicators_for(tier).itertuples(), start=1)]
