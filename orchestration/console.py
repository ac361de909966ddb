"""What `wuxing run`, `demo` and `score` show: a short progress view of each run, read from Dagster's
event log while the run executes; the full log (Dagster's lines, dbt's output, warnings) goes to a
file under <home>/logs/, and to the console as well with `-v`.

rich draws the progress and the summary table: it measures Chinese characters as two columns, so
the table lines up, and on a console that is not a terminal (a pipe, a file) it prints the final
state once instead of redrawing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from orchestration.clock import beijing
from orchestration.home import Home

LOGS = "logs"
KEEP_LOGS = 30
POLL_SECONDS = 0.3
LIGHT_STYLE = {"green": "green", "yellow": "yellow", "red": "red"}
PLACES = ("第一 1st", "第二 2nd", "第三 3rd")


class _Tee:
    """A text stream writing to several streams (the log file and the console with -v)."""

    def __init__(self, *streams: IO[str]) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def isatty(self) -> bool:
        return False


def log_path(home: Home, now: datetime | None = None) -> Path:
    """A new log file under <home>/logs, named by the Beijing time it starts; old ones pruned."""
    folder = home.root / LOGS
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("wuxing-*.log"))[: -KEEP_LOGS + 1]:
        old.unlink(missing_ok=True)
    stamp = beijing(now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return folder / f"wuxing-{stamp}.log"


class RunConsole:
    """The console of one CLI command: progress above, everything else into the log file."""

    def __init__(self, home: Home, verbose: bool = False, capture: bool = True) -> None:
        self.home, self.verbose, self.capture = home, verbose, capture
        self.console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
        self.errors = Console(file=sys.stderr, highlight=False)
        self.log: Path | None = None
        self._log_handle: IO[str] | None = None
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            disable=not capture or verbose,
        )
        self._stack = ExitStack()

    @classmethod
    def plain(cls, home: Home) -> RunConsole:
        """No progress and no capture: output as it comes (library use and tests)."""
        return cls(home, verbose=True, capture=False)

    def __enter__(self) -> RunConsole:
        if self.capture:
            self.log = log_path(self.home)
            handle = self._log_handle = self._stack.enter_context(self.log.open("a", encoding="utf-8"))
            out = _Tee(handle, sys.stdout) if self.verbose else handle
            err = _Tee(handle, sys.stderr) if self.verbose else handle
            self._stack.enter_context(redirect_stdout(out))
            self._stack.enter_context(redirect_stderr(err))
        self._stack.enter_context(self.progress)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()
        self._log_handle = None

    def say(self, text: str, error: bool = False) -> None:
        """A line for the person at the console (above the progress), and into the log."""
        (self.errors if error else self.console).print(text, markup=False, soft_wrap=True)
        if self._log_handle is not None:
            print(text, file=self._log_handle, flush=True)

    @contextmanager
    def watch(self, instance, run_id: str, job_name: str) -> Iterator[None]:
        """Show the progress of the run `run_id` while the block executes it."""
        if not self.capture or self.verbose:  # no progress view: the log itself is on the console
            yield
            return
        watcher = _RunWatcher(self, instance, run_id, job_name)
        thread = threading.Thread(target=watcher.loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            watcher.stop.set()
            thread.join()
            watcher.poll()
            watcher.finish()


class _RunWatcher:
    """Reads a run's events from the Dagster instance and moves the progress bars."""

    def __init__(self, view: RunConsole, instance, run_id: str, job_name: str) -> None:
        from orchestration.defs.dbt import dbt_period_models, dbt_reference_models
        from orchestration.returns.archive import landed_files

        self.view, self.instance, self.run_id = view, instance, run_id
        self.stop = threading.Event()
        self.cursor: str | None = None
        self.started = time.time()
        progress = view.progress
        self.tasks: dict[str, int] = {}
        if job_name == "nightly":
            landed = len(landed_files(view.home))
            self.dbt_keys = set(dbt_reference_models.keys)
            self.tasks["archived_returns"] = progress.add_task("收文归档 archiving", total=landed, start=False)
            self.tasks["validated_returns"] = progress.add_task("校验判定 files judged", total=landed, start=False)
        else:
            self.dbt_keys = set(dbt_period_models.keys)
        self.dbt_step = "dbt_reference_models" if job_name == "nightly" else "dbt_period_models"
        label = "dbt 模型 models built" if job_name == "nightly" else "重算 dbt 模型 scoring models"
        self.tasks[self.dbt_step] = progress.add_task(label, total=len(self.dbt_keys), start=False)
        self.tasks["published_marts"] = progress.add_task("发布 publishing", total=1, start=False)
        self.built: set = set()

    def loop(self) -> None:
        while not self.stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a progress view never stops a run
                pass

    def poll(self) -> None:
        """Apply the events since the last poll."""
        import dagster as dg

        progress = self.view.progress
        while True:
            page = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, limit=500)
            self.cursor = page.cursor
            for record in page.records:
                event = record.event_log_entry.dagster_event
                if event is None:
                    continue
                step = event.step_key
                if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                    if event.asset_key in self.dbt_keys:
                        self.built.add(event.asset_key)
                        progress.update(self.tasks[self.dbt_step], completed=len(self.built))
                elif event.event_type == dg.DagsterEventType.STEP_START and step in self.tasks:
                    progress.start_task(self.tasks[step])  # each bar's clock: its step's time
                elif event.event_type == dg.DagsterEventType.STEP_SUCCESS and step in self.tasks:
                    progress.update(self.tasks[step], completed=self._task(step).total)
            if not page.has_more:
                break
        judging = self._task("validated_returns")
        if judging is not None and judging.completed < (judging.total or 0):  # notices: one per judged file
            judged = sum(1 for p in self.view.home.notices.glob("*.notice.txt") if p.stat().st_mtime >= self.started)
            progress.update(judging.id, completed=min(judged, judging.total or 0))

    def _task(self, step: str):
        """The progress task of a step, or None."""
        return next((t for t in self.view.progress.tasks if t.id == self.tasks.get(step)), None)

    def finish(self) -> None:
        """Stop the clocks; the bar of a step that failed or did not run stays where it was."""
        for task in self.tasks.values():
            self.view.progress.stop_task(task)


def summary_table(period: str | None, rows, status: str = "", unranked: int = 0) -> Table | Text:
    """The top three of each peer group as one row per group (short names, score coloured by its
    traffic light); ties share a place and stand in the same cell. The title says whether the
    results are provisional or final, and how many units are not ranked."""
    if period is None:
        return Text("尚未计分 / not scored yet")
    title = f"{period} {status + ' ' if status else ''}各组排名前三 / top three of each peer group"
    if unranked:
        title += f"（另有 {unranked} 个单位数据不全，暂不排名）"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, show_edge=False)
    table.add_column("组别 peer group", no_wrap=True)
    for place in PLACES:
        table.add_column(place, no_wrap=True)
    groups: dict[str, list[Text]] = {}
    for group, rank, _unit, score, _grade, light, short in rows:
        cells = groups.setdefault(group, [Text() for _ in PLACES])
        cell = cells[min(int(rank), len(PLACES)) - 1]
        if cell:
            cell.append("、")
        cell.append(f"{short} ")
        cell.append(f"{score:.2f}", style=LIGHT_STYLE.get(light, ""))
    for group, cells in groups.items():
        table.add_row(group, *cells)
    return table
