"""Shared fixtures: offline settings, the reference data, and one full demo run shared by all tests."""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"

import hashlib  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import duckdb  # noqa: E402
import pytest  # noqa: E402
from filelock import FileLock  # noqa: E402

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


ROOT = Path(__file__).resolve().parents[1]
# What the demo run depends on: the code, the models, the rules and reference data, the pins.
DEMO_INPUTS = ("orchestration", "dbt_project", "seeds", "frameworks", "expectations", "vendor",
               "pyproject.toml", "constraints.txt", "tests/conftest.py")
NOT_INPUTS = {"target", "logs", "dbt_packages", "__pycache__", ".pytest_cache"}


def demo_fingerprint() -> str:
    """A hash of every file the demo run depends on (names and bytes) and of the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for name in DEMO_INPUTS:
        top = ROOT / name
        files = [top] if top.is_file() else sorted(
            p for p in top.rglob("*") if p.is_file() and not NOT_INPUTS & set(p.relative_to(top).parts))
        for path in files:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _build_demo(where: Path) -> DemoRun:
    """Generate the demo returns into a fresh home and run the nightly job once, in-process."""
    from orchestration.cli import run_pipeline

    home = Home.resolve(where).ensure()
    manifest = generate_demo(home.landing, seed=2024)
    return DemoRun(home=home, manifest=manifest, succeeded=run_pipeline(home))


@pytest.fixture(scope="session")
def demo_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo home after one full run, built once and shared read-only: by every xdist worker of a
    session and, while the code is unchanged, by later sessions (cache in .pytest_cache, keyed on
    `demo_fingerprint`; WUXING_TEST_FRESH_DEMO=1 builds a new one in the session's temp dir).
    A test that writes must copy it first (`tests.ops_helpers.copy_home`)."""
    if os.environ.get("WUXING_TEST_FRESH_DEMO") == "1" or request.config.cache is None:
        fresh = tmp_path_factory.getbasetemp()
        if "PYTEST_XDIST_WORKER" in os.environ:  # one build for all workers of this session
            fresh = fresh.parent
        cache = fresh / "wuxing-demo"
        cache.mkdir(exist_ok=True)
    else:
        cache = request.config.cache.mkdir("wuxing-demo")
    key = demo_fingerprint()
    built, done = cache / key, cache / f"{key}.pickle"
    with FileLock(str(cache / "build.lock")):  # the first worker builds, the others wait for it
        if not done.is_file():
            for old in cache.iterdir():  # other fingerprints and a build that was interrupted
                if old.name != "build.lock":
                    shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
            run = _build_demo(built)
            done.write_bytes(pickle.dumps((run.manifest, run.succeeded)))
    manifest, succeeded = pickle.loads(done.read_bytes())
    return DemoRun(home=Home.resolve(built), manifest=manifest, succeeded=succeeded)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`--dist loadgroup`), the tests of a module that shares a module-scoped fixture
    run on one worker, so the fixture is built once; every other test goes wherever a worker is free."""
    for item in items:
        defs = getattr(item, "_fixtureinfo", None)
        scopes = {d.scope for ds in (defs.name2fixturedefs.values() if defs else ()) for d in ds}
        if {"module", "class", "package"} & scopes and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


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
