"""Shared fixtures: offline settings, the reference data, and one full demo run shared by all tests."""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from orchestration.reference import Reference  # noqa: E402
from tests.shared_demo import DemoRun, shared_demo  # noqa: E402


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load()


@pytest.fixture(scope="session")
def demo_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo home after one full run, shared read-only (`tests/shared_demo.py`): cached in
    .pytest_cache while the code is unchanged; WUXING_TEST_FRESH_DEMO=1 builds one for this session
    alone. A test that writes must copy it first (`tests.ops_helpers.copy_home`)."""
    if os.environ.get("WUXING_TEST_FRESH_DEMO") == "1" or request.config.cache is None:
        base = tmp_path_factory.getbasetemp()
        if "PYTEST_XDIST_WORKER" in os.environ:  # the session's root, above the workers' own
            base = base.parent
        return shared_demo(base / "wuxing-demo")
    return shared_demo(request.config.cache.mkdir("wuxing-demo"))


DURATIONS_KEY = "wuxing/durations"  # seconds per test id (setup + call + teardown), from the last run
UNMEASURED_SLOW, UNMEASURED = 30.0, 1.0  # what a test never timed here is taken to cost


def _group(item: pytest.Item) -> str | None:
    """A module whose tests share a module-scoped fixture is one group: one worker builds it once."""
    marker = item.get_closest_marker("xdist_group")
    if marker:
        return marker.args[0] if marker.args else marker.kwargs.get("name")
    defs = getattr(item, "_fixtureinfo", None)
    scopes = {d.scope for ds in (defs.name2fixturedefs.values() if defs else ()) for d in ds}
    return item.nodeid.split("::")[0] if {"module", "class", "package"} & scopes else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`--dist loadgroup --no-loadscope-reorder`), group the tests of a module that
    shares a module-scoped fixture, and hand out the longest work first (by the durations recorded
    in .pytest_cache by the last run; a test never timed counts 30 s if marked slow, else 1 s), so
    no worker is left with a long test at the end. The order changes no test's outcome."""
    known = config.cache.get(DURATIONS_KEY, {}) if config.cache is not None else {}
    cost: dict[str, float] = {}
    unit_of: dict[str, str] = {}
    for item in items:
        group = _group(item)
        if group and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))
        unit_of[item.nodeid] = unit = group or item.nodeid
        guess = UNMEASURED_SLOW if item.get_closest_marker("slow") else UNMEASURED
        cost[unit] = cost.get(unit, 0.0) + known.get(item.nodeid, guess)
    position = {item.nodeid: n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-cost[unit_of[item.nodeid]], unit_of[item.nodeid], position[item.nodeid]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up each test's time (on the controller when under xdist, which sees every worker's reports)."""
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


_durations: dict[str, float] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Record this run's durations for the next run's order (only the controller writes)."""
    config = session.config
    if config.cache is None or hasattr(config, "workerinput") or not _durations:
        return
    config.cache.set(
        DURATIONS_KEY, {**config.cache.get(DURATIONS_KEY, {}), **{k: round(v, 2) for k, v in _durations.items()}}
    )


def write_csv_return(path: Path, code: str, name: str, period: str, rows: list[list[object]]) -> Path:
    """A unit return in CSV through the project's own writer."""
    from orchestration.returns import layout
    from orchestration.returns.writer import write_return

    return write_return(path, layout.RETURN_TYPE_UNIT, code, name, period, rows)


GOOD_VALUE = {"rate": 85.5, "count": 3, "amount": 12.5, "signed": -1.5, "score": 80, "flag": 1}


def good_rows(reference: Reference, unit_code: str) -> list[list[object]]:
    """Valid data rows for every self-reported indicator of a unit's tier."""
    tier = reference.unit_tier[unit_code]
    return [
        [n, r.indicator_code, r.indicator_name_zh, r.unit_of_measure, GOOD_VALUE[r.value_type], ""]
        for n, r in enumerate(reference.indicators_for(tier).itertuples(), start=1)
    ]
