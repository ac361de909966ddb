"""Supersession per value: a partial correction replaces only the values it carries; 撤回 withdraws."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import pytest

from orchestration.cli import run_pipeline
from tests.ops_helpers import copy_home

PERIOD = "2024Q4"
CORRECTED = {"360100": (90.5, 91.5), "360200": (88.0, 87.5), "360300": (80.25, 79.0)}
WITHDRAWN_UNIT = "360400"


def _e02_rows(home) -> tuple[list[list[str]], str]:
    """The demo's E02 2024Q4 return (a GB18030 CSV rating all 148 units) and its encoding."""
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        ((archive_path,),) = con.execute(
            "select archive_path from raw.return_files where file_name = ?", [f"E02_{PERIOD}_评价.csv"]
        ).fetchall()
    data = (home.root / archive_path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding)))), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable demo return")


def _write(path, rows, encoding, mtime):
    with open(path, "w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    os.utime(path, (mtime, mtime))


def _scores(home, indicator_like="SV30%"):
    import duckdb

    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        return {
            (u, i): v
            for u, i, v in con.execute(
                "select unit_code, indicator_code, raw_value from marts.fct_indicator_scores "
                "where period = ? and indicator_code like ?",
                [PERIOD, indicator_like],
            ).fetchall()
        }


@pytest.mark.slow
def test_partial_correction_keeps_every_other_value(demo_run, tmp_path):
    assert demo_run.succeeded
    home = copy_home(demo_run.home, tmp_path / "home")
    before = _scores(home)
    assert len({u for u, _ in before}) == 148
    rows, encoding = _e02_rows(home)
    head, body = rows[:4], [r for r in rows[4:] if r and r[0].strip().isdigit()]
    correction = [list(r) for r in body if r[1] in CORRECTED]
    for r in correction:
        r[6] = str(CORRECTED[r[1]][0 if r[3] == "SV301" else 1])
    withdrawal = [list(r) for r in body if r[1] == WITHDRAWN_UNIT and r[3] == "SV301"]
    withdrawal[0][6] = "撤回"
    landed = datetime(2025, 1, 10, 9, 0, tzinfo=UTC).timestamp()  # 2024Q4 open, before its deadline
    # A clerk's file name: a correction mark in front of the code.
    _write(home.landing / f"（更正）E02_{PERIOD}_评价.csv", head + correction, encoding, landed)
    _write(home.landing / f"E02_{PERIOD}_撤回.csv", head + withdrawal, encoding, landed + 60)
    assert run_pipeline(home)

    after = _scores(home)
    changed = {key for key in before if after.get(key) != before[key]}
    assert changed == {(u, i) for u in CORRECTED for i in ("SV301", "SV302")} | {(WITHDRAWN_UNIT, "SV301")}
    for unit, (sv301, sv302) in CORRECTED.items():
        assert (after[(unit, "SV301")], after[(unit, "SV302")]) == (sv301, sv302)
    assert after[(WITHDRAWN_UNIT, "SV301")] is None  # withdrawn: scored as missing
    kept = {u for u, _ in before} - set(CORRECTED) - {WITHDRAWN_UNIT}
    assert len(kept) == 144 and all(after[(u, i)] == before[(u, i)] for u in kept for i in ("SV301", "SV302"))

    import duckdb

    with duckdb.connect(str(home.published / "wuxing.duckdb"), read_only=True) as con:
        log = {
            name: (status, current, carried)
            for name, status, current, carried in con.execute(
                "select file_name, status, values_current, values_carried from marts.mart_return_log "
                "where unit_code = 'E02' and period = ?",
                [PERIOD],
            ).fetchall()
        }
        history = con.execute(
            "select unit_code, indicator_code, value, replaced_by_file_name, source_row from marts.fct_value_history "
            "where submitter_code = 'E02' and period = ? and file_name = ? and not is_current",
            [PERIOD, f"E02_{PERIOD}_评价.csv"],
        ).fetchall()
    assert log[f"E02_{PERIOD}_评价.csv"] == ("accepted", len(body) - 7, len(body))
    assert log[f"（更正）E02_{PERIOD}_评价.csv"] == ("accepted", 6, 6)
    assert log[f"E02_{PERIOD}_撤回.csv"] == ("accepted", 1, 1)
    replaced = {(u, i): (v, by) for u, i, v, by, _ in history}
    assert replaced[("360100", "SV301")] == (before[("360100", "SV301")], f"（更正）E02_{PERIOD}_评价.csv")
    assert replaced[(WITHDRAWN_UNIT, "SV301")][1] == f"E02_{PERIOD}_撤回.csv"
    assert all(row[4] for row in history)  # every value traceable to its row

    notice = next(home.notices.glob("*更正*E02*.notice.txt")).read_text(encoding="utf-8")
    assert "更正 3 个单位 6 项数据" in notice
    units = len({r[1] for r in body})
    assert f"其余 {units - 3} 个单位 {len(body) - 6} 项数据沿用" in notice


def test_accepted_returns_with_warnings_do_not_alert(demo_run):
    """Severity decides: rejections fail the blocking suites' checks (an alert), warnings only count."""
    from orchestration import alerts

    warned = demo_run.query(
        "select count(*) from marts.mart_return_log where status <> 'rejected' and warning_count > 0"
    )[0][0]
    assert warned > 0  # the demo has late and jumping returns
    failed = {d["check"] for a in alerts.read_log(demo_run.home) if a["kind"] == "check_failure" for d in a["details"]}
    assert "unit_return" in failed and "return_warnings" not in failed
