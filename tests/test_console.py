"""The console of `wuxing run` / `demo` / `score`: a summary table that lines up with Chinese text,
log lines into <home>/logs/ (live only with -v), and Beijing time written with its zone."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.console import Console

from orchestration.clock import beijing_text
from orchestration.console import RunConsole, summary_table
from orchestration.home import Home
from orchestration.publish import ranking_head


def test_the_summary_table_lines_up_with_chinese_names(demo_run):
    period, rows = ranking_head(demo_run.home.published / "wuxing.duckdb")
    out = io.StringIO()
    Console(file=out, width=120, force_terminal=False).print(summary_table(period, rows))
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    groups = {group for group, *_ in rows}
    body = [line for line in lines if any(line.strip().startswith(group) for group in groups)]
    assert len(body) == len(groups) >= 5
    leaders = {group: short for group, rank, _u, _s, _g, _l, short in rows if rank == 1}
    # the first place starts at the same screen column on every row, whatever the group's name
    starts = {cell_len(line[: line.index(leaders[line.split()[0]] + " ")]) for line in body}
    assert len(starts) == 1, starts
    scores = [re.findall(r"\d+\.\d\d", line) for line in body]
    assert all(len(s) >= 3 for s in scores)
    assert period in lines[0]


def test_run_console_writes_the_log_to_a_file_and_shows_only_what_a_person_reads(tmp_path, capsys):
    home = Home.resolve(tmp_path).ensure()
    with RunConsole(home) as view:
        print("2026-01-01 00:00:00 +0000 - dagster - DEBUG - a log line")
        print("a warning", file=sys.stderr)
        view.say("重算期次 / scoring periods 2024Q4..2024Q4")
    shown = capsys.readouterr()
    assert "重算期次" in shown.out and "DEBUG" not in shown.out + shown.err and "a warning" not in shown.err
    text = view.log.read_text(encoding="utf-8")
    assert view.log.parent == home.root / "logs" and "DEBUG - a log line" in text and "a warning" in text
    assert "重算期次" in text

    with RunConsole(home, verbose=True) as loud:
        print("another DEBUG line")
    assert "another DEBUG line" in capsys.readouterr().out
    assert "another DEBUG line" in loud.log.read_text(encoding="utf-8")


def test_beijing_time_is_written_with_its_zone():
    assert beijing_text(datetime(2024, 10, 9, 10, 0, tzinfo=UTC)) == "2024-10-09 18:00 北京时间"
    assert beijing_text(datetime(2024, 12, 31, 16, 30, 5)) == "2025-01-01 00:30 北京时间"  # naive = UTC
    assert beijing_text(datetime(2024, 10, 9, 10, 0, 7, tzinfo=UTC), seconds=True).endswith(":07 北京时间")
