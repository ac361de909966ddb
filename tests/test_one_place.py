"""One place per rule: names and rules that must be written once in the code base."""

from __future__ import annotations

import re

from orchestration.paths import PROJECT_ROOT

ORCHESTRATION = PROJECT_ROOT / "orchestration"


def _sources():
    return {p: p.read_text(encoding="utf-8") for p in ORCHESTRATION.rglob("*.py")}


def test_run_tags_and_pools_are_written_once_in_defs_constants() -> None:
    """Every `wuxing/...` run tag and the warehouse pool are spelled only in defs/constants.py."""
    constants = ORCHESTRATION / "defs" / "constants.py"
    spelled = {p.relative_to(PROJECT_ROOT).as_posix() for p, text in _sources().items()
               if p != constants and re.search(r"[\"']wuxing/[a-z_]+[\"']|[\"']duckdb_warehouse[\"']", text)}
    assert spelled == set()


def test_definitions_do_not_borrow_constants_from_the_ingest_module() -> None:
    for path, text in _sources().items():
        assert not re.search(r"from orchestration\.defs\.ingest import .*(POOL|TAG)", text), path
