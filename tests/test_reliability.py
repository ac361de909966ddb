"""Reliability suite (marker `reliability`, figures in docs/reliability.md): hostile files through
whole runs, kill -9 at seeded random points across intake, dbt and publish, two concurrent runs, a
reader during publishes, a full disk under the warehouse and under the published folder, and a
fuzz of return files. Runs are real wuxing runs forked from tests/zygote.py, on a small home."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.home import Home
from orchestration.publish import COMPLETE_MARKER, KEEP_SNAPSHOTS, PARQUET_LINK, PUBLISH_LOCK, PUBLISHED_DB, SNAPSHOTS
from orchestration.secrets import WEBHOOK_ENV
from tests.conftest import good_rows, write_csv_return
from tests.hostile import LANDED, good_workbook, hostile_files

pytestmark = [pytest.mark.reliability, pytest.mark.slow]  # kill -9 chains, fuzz, full disks: minutes

SEED = 20241010
REPO = Path(__file__).resolve().parents[1]
KILL_STAGES = ["intake"] * 4 + ["dbt"] * 3 + ["publish"] * 3  # ten points, shuffled by SEED
TOKEN = "PLANTEDwebhookTOKEN9f8e7d6c5b4a"
FIGURES = REPO / "test-artifacts" / "reliability.json"


class Zygote:
    """The fork server (tests/zygote.py): start a run in a child, kill its group, wait for it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.zygote"], cwd=REPO, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def _ask(self, command: dict) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def start(self, target: str, home: Home, log: Path, env: dict | None = None, fsize: int = 0) -> int:
        return self._ask(
            {"op": "start", "target": target, "home": str(home.root), "log": str(log), "env": env or {}, "fsize": fsize}
        )["pid"]

    def wait(self, pid: int) -> int:
        return self._ask({"op": "wait", "pid": pid})["status"]

    def run(self, target: str, home: Home, log: Path, **kwargs) -> int:
        return self.wait(self.start(target, home, log, **kwargs))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def dbt_in_group(pgid: int) -> bool:
    """Whether a dbt process runs in the process group."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) and stat[2] == str(pgid):
            try:
                if b"/dbt\0" in (entry / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


def wait_until(predicate, pid: int, timeout: float = 240) -> bool:
    """Poll predicate() until true (True) or the child ended (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if not alive(pid):
            return False
        time.sleep(0.02)
    raise AssertionError("the kill point's trigger never came")


def landed_sha(path: Path) -> str:
    """The sha256 the archive gives a landed file (a link is archived as its target's path)."""
    data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return hashlib.sha256(data).hexdigest()


class SmallHome:
    """A home with a handful of returns, and every file ever dropped into its landing/."""

    def __init__(self, root: Path, reference) -> None:
        self.home = Home.resolve(root).ensure()
        self.reference = reference
        self.dropped: dict[str, str] = {}  # sha256 -> file name
        self.units = list(reference.units.unit_code[:6])

    def drop_return(self, n: int) -> str:
        """A good unit return, made distinct by its note; it lands before 2024Q4's deadline."""
        unit = self.units[n % len(self.units)]
        rows = [row[:-1] + [f"第{n}次"] for row in good_rows(self.reference, unit)]
        path = write_csv_return(self.home.landing / f"{unit}_2024Q4_{n}.csv", unit, "单位", "2024Q4", rows)
        os.utime(path, (LANDED, LANDED))
        return self._track(path)

    def drop_hostile(self) -> None:
        for name in hostile_files(self.home.landing, self.reference):
            self._track(self.home.landing / name)

    def _track(self, path: Path) -> str:
        self.dropped.setdefault(landed_sha(path), path.name)
        return path.name

    def recorded(self) -> list[str]:
        with duckdb.connect(str(self.home.warehouse), read_only=True) as con:
            return [r[0] for r in con.execute("select sha256 from raw.return_files").fetchall()]


@dataclass
class KillPoint:
    stage: str
    target: str
    delay: float
    killed: bool = False
    steps_running: list[str] = field(default_factory=list)
    published_changed: bool = False


def published_state(home: Home) -> tuple[str, str] | None:
    """(sha256 of the published DuckDB file, the snapshot the parquet link names), or None."""
    database = home.published / PUBLISHED_DB
    if not database.exists():
        return None
    return hashlib.sha256(database.read_bytes()).hexdigest(), os.readlink(home.published / PARQUET_LINK)


def assert_published_whole(home: Home, tables: dict[str, int] | None) -> dict[str, int]:
    """The published file opens, every mart reads in full, and the link names a complete snapshot."""
    with duckdb.connect(str(home.published / PUBLISHED_DB), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        counts = {name: con.execute(f"select count(*) from marts.{name}").fetchone()[0] for name in names}
    assert tables is None or set(counts) == set(tables)
    assert (home.published / PARQUET_LINK / COMPLETE_MARKER).exists()
    return counts


def steps_running(home: Home, pid: int) -> list[str]:
    """Steps of the runs of process `pid` that started and never finished (where the kill hit)."""
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    try:
        running = []
        for run in instance.get_runs(filters=dg.RunsFilter(tags={"wuxing/pid": str(pid)})):
            started = {
                e.dagster_event.step_key for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            }
            ended = {
                e.dagster_event.step_key
                for e in instance.all_logs(
                    run.run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
                )
            }
            running += sorted(started - ended) or [f"{run.job_name}: between steps"]
        return running
    finally:
        instance.dispose()


def assert_no_debris(home: Home) -> None:
    """No staging file, temporary link or unfinished snapshot is left; at most KEEP snapshots."""
    assert not [p.name for p in home.published.iterdir() if p.name.startswith(".") and p.name != PUBLISH_LOCK]
    snapshots = list((home.published / SNAPSHOTS).iterdir())
    assert all((s / COMPLETE_MARKER).exists() for s in snapshots) and len(snapshots) <= KEEP_SNAPSHOTS


def grep_tree(root: Path, needle: bytes) -> list[str]:
    """Files under root containing needle (links not followed)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


@pytest.fixture(scope="module")
def zygote():
    server = Zygote()
    yield server
    server.close()


@pytest.fixture(scope="module")
def killed_and_recovered(zygote, reference, tmp_path_factory):
    """A small home taken through ten runs killed with SIGKILL at seeded points, then a run that
    must complete (with a webhook token planted in its environment)."""
    root = tmp_path_factory.mktemp("reliability")
    small = SmallHome(root / "home", reference)
    logs = root / "logs"
    logs.mkdir()
    for n in range(3):
        small.drop_return(n)
    small.drop_hostile()
    started = time.monotonic()
    assert zygote.run("ingest,quality,dbt,plan,publish", small.home, logs / "setup.log") == 0
    setup_seconds = time.monotonic() - started
    tables = assert_published_whole(small.home, None)
    rng = random.Random(SEED)
    stages = KILL_STAGES[:]
    rng.shuffle(stages)
    points = []
    attempts = [(n, stage) for n, stage in enumerate(stages) for _ in range(3)]  # a retry if it ended first
    done: set[int] = set()
    for n, stage in attempts:
        if n in done:
            continue
        before = published_state(small.home)
        if stage == "intake":
            small.drop_return(10 + len(points))
            point = KillPoint(stage, "run", round(rng.uniform(0.0, 1.5), 2))
            trigger = lambda: not any(small.home.landing.iterdir())  # noqa: E731 - archived: judging now
        elif stage == "dbt":
            point = KillPoint(stage, "dbt", round(rng.uniform(0.0, 6.0), 2))
            trigger = lambda: dbt_in_group(pid)  # noqa: E731
        else:
            point = KillPoint(stage, "publish", round(rng.uniform(0.0, 0.5), 2))
            debris = set(small.home.published.glob(f".{PUBLISHED_DB}.*.part"))  # an earlier kill's
            trigger = lambda: bool(set(small.home.published.glob(f".{PUBLISHED_DB}.*.part")) - debris)  # noqa: E731
        pid = zygote.start(point.target, small.home, logs / f"point{len(points)}.log")
        if wait_until(trigger, pid):
            time.sleep(point.delay)
            try:
                os.killpg(pid, signal.SIGKILL)
                point.killed = True
            except ProcessLookupError:
                pass
        status = zygote.wait(pid)
        point.killed = point.killed and status == -signal.SIGKILL
        point.steps_running = steps_running(small.home, pid)
        tables = assert_published_whole(small.home, tables)
        point.published_changed = published_state(small.home) != before
        points.append(point)
        if point.killed:
            done.add(n)
    small.drop_return(99)
    (small.home.landing / "360124_2024Q4_final.xlsm").write_bytes(b"PK refused: an alert is due")
    small._track(small.home.landing / "360124_2024Q4_final.xlsm")
    webhook = f"http://127.0.0.1:9/robot/send?access_token={TOKEN}"  # nothing listens on port 9
    started = time.monotonic()
    final_status = zygote.run("run", small.home, logs / "final.log", env={WEBHOOK_ENV: webhook})
    return {
        "small": small,
        "points": points,
        "final_status": final_status,
        "logs": logs,
        "setup_seconds": round(setup_seconds, 1),
        "final_seconds": round(time.monotonic() - started, 1),
    }


def test_kill_9_at_ten_seeded_points_loses_nothing(killed_and_recovered):
    small, points = killed_and_recovered["small"], killed_and_recovered["points"]
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(
        json.dumps(
            {
                "seed": SEED,
                "points": [p.__dict__ for p in points],
                "files_dropped": len(small.dropped),
                "files_recorded": len(small.recorded()),
                "setup_seconds": killed_and_recovered["setup_seconds"],
                "final_run_seconds": killed_and_recovered["final_seconds"],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    assert killed_and_recovered["final_status"] == 0, (killed_and_recovered["logs"] / "final.log").read_text()[-3000:]
    killed = [p for p in points if p.killed]
    assert len(killed) >= 10 and {p.stage for p in killed} == {"intake", "dbt", "publish"}
    assert all(p.steps_running for p in killed)  # each kill hit a run that had started
    hit = " ".join(step for p in killed for step in p.steps_running)
    assert "validated_returns" in hit or "archived_returns" in hit
    assert "dbt" in hit and "published_marts" in hit
    # Every file ever dropped was archived, judged and recorded exactly once.
    assert not list(small.home.landing.iterdir())
    recorded = small.recorded()
    assert sorted(recorded) == sorted(small.dropped)
    with duckdb.connect(str(small.home.published / PUBLISHED_DB), read_only=True) as con:
        logged = [r[0] for r in con.execute("select sha256 from marts.mart_return_log").fetchall()]
        ranked = con.execute("select count(*) from marts.mart_unit_rankings").fetchone()[0]
    assert sorted(logged) == sorted(small.dropped) and ranked > 0
    assert_no_debris(small.home)


def test_planted_webhook_token_appears_in_no_output_and_no_file(killed_and_recovered):
    small = killed_and_recovered["small"]
    alerts_log = (small.home.root / "alerts.log").read_text(encoding="utf-8")
    assert '"delivered": false' in alerts_log  # the final run alerted (rejections) and tried the robot
    assert grep_tree(killed_and_recovered["logs"], TOKEN.encode()) == []
    assert grep_tree(small.home.root, TOKEN.encode()) == []


def _copy(home: Home, target: Path) -> Home:
    shutil.copytree(home.root, target, symlinks=True)
    return Home.resolve(target)


def test_two_concurrent_runs_take_turns(killed_and_recovered, zygote, reference, tmp_path):
    small = SmallHome(tmp_path / "home", reference)
    shutil.rmtree(small.home.root)
    _copy(killed_and_recovered["small"].home, small.home.root)
    small.dropped = dict(killed_and_recovered["small"].dropped)
    small.drop_return(200)
    small.drop_return(201)
    pids = [zygote.start("ingest,quality,plan,publish", small.home, tmp_path / f"run{i}.log") for i in (0, 1)]
    assert [zygote.wait(pid) for pid in pids] == [0, 0], (tmp_path / "run1.log").read_text()[-2000:]
    assert sorted(small.recorded()) == sorted(small.dropped)
    assert_published_whole(small.home, None)


def test_readers_query_without_error_during_publishes(killed_and_recovered, zygote, tmp_path):
    home = _copy(killed_and_recovered["small"].home, tmp_path / "home")
    database = home.published / PUBLISHED_DB
    errors: list[str] = []
    queries = [0, 0]
    stop = threading.Event()

    def reader(slot: int) -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(database), read_only=True) as con:
                    assert con.execute("select count(*) from marts.mart_return_log").fetchone()[0] > 0
                queries[slot] += 1
            except Exception as error:  # noqa: BLE001 - every failure is collected and asserted on
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=reader, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    try:
        statuses = [zygote.run("fn:publish", home, tmp_path / "publish.log") for _ in range(3)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert statuses == [0, 0, 0] and errors == [] and sum(queries) > 0
    FIGURES.parent.mkdir(exist_ok=True)
    (FIGURES.parent / "reliability-readers.json").write_text(json.dumps({"queries": sum(queries), "publishes": 3}))


def _used_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*"))


@contextmanager
def full_disk(folder: Path, spare: int, fsize_instead: int):
    """Mount a tmpfs holding `folder`'s contents with `spare` bytes free, when this process may
    (root); yields 0, or `fsize_instead`: the RLIMIT_FSIZE a child must run under when it may not."""
    aside = folder.with_name(folder.name + ".aside")
    folder.rename(aside)
    folder.mkdir()
    size = (_used_bytes(aside) + spare + 65536) // 4096 * 4096
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
        ).returncode
        == 0
    )
    if mounted:
        for item in aside.iterdir():
            (
                shutil.copytree(item, folder / item.name, symlinks=True)
                if item.is_dir() and not item.is_symlink()
                else shutil.copy2(item, folder / item.name, follow_symlinks=False)
            )
        statvfs = os.statvfs(folder)
        pad = statvfs.f_bavail * statvfs.f_frsize - spare
        if pad > 0:  # leave exactly `spare` bytes free
            (folder / "zz_filler.bin").write_bytes(b"\0" * pad)
    else:
        folder.rmdir()
        aside.rename(folder)
    try:
        yield 0 if mounted else fsize_instead
    finally:
        if mounted:
            (folder / "zz_filler.bin").unlink(missing_ok=True)
            shutil.rmtree(aside)
            aside.mkdir()
            for item in folder.iterdir():
                (
                    shutil.copytree(item, aside / item.name, symlinks=True)
                    if item.is_dir() and not item.is_symlink()
                    else shutil.copy2(item, aside / item.name, follow_symlinks=False)
                )
            subprocess.run(["umount", str(folder)], check=True)
            folder.rmdir()
            aside.rename(folder)


def test_full_disk_under_published_leaves_the_old_marts_and_no_debris(killed_and_recovered, zygote, tmp_path):
    home = _copy(killed_and_recovered["small"].home, tmp_path / "home")
    before = published_state(home)
    free = []
    with full_disk(home.published, spare=512 * 1024, fsize_instead=512 * 1024) as fsize:
        for attempt in range(3):
            status = zygote.run("fn:publish", home, tmp_path / "publish.log", fsize=fsize)
            assert status != 0
            assert published_state(home) == before
            assert not [p.name for p in home.published.iterdir() if p.name.startswith(".") and p.name != PUBLISH_LOCK]
            assert all((s / COMPLETE_MARKER).exists() for s in (home.published / SNAPSHOTS).iterdir())
            stats = os.statvfs(home.published)
            free.append(stats.f_bavail * stats.f_frsize)
    assert fsize or free[0] == free[-1]  # the disk did not get fuller with each attempt
    assert zygote.run("fn:publish", home, tmp_path / "publish.log") == 0
    assert published_state(home) != before
    assert_published_whole(home, None)
    assert_no_debris(home)


def test_full_disk_under_the_warehouse_fails_the_run_and_the_next_run_records_all(
    killed_and_recovered, zygote, reference, tmp_path
):
    small = SmallHome(tmp_path / "home", reference)
    shutil.rmtree(small.home.root)
    _copy(killed_and_recovered["small"].home, small.home.root)
    small.dropped = dict(killed_and_recovered["small"].dropped)
    for n in (300, 301, 302):
        small.drop_return(n)
    with full_disk(
        small.home.warehouse.parent, spare=0, fsize_instead=small.home.warehouse.stat().st_size
    ) as fsize:  # it may not grow
        status = zygote.run("ingest,quality", small.home, tmp_path / "full.log", fsize=fsize)
        assert fsize or status != 0
    assert zygote.run("ingest,quality", small.home, tmp_path / "next.log") == 0
    assert sorted(small.recorded()) == sorted(small.dropped)


# --- fuzz: hypothesis builds batches of mangled return files; intake must record every one ------

_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["=1+1", "@SUM(A1)", "-", "不适用", "１２", "1e309", "NaN", "\x00", "８５％", "-0", "99999999999999999999"]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
)


@st.composite
def return_file(draw, template_csv: bytes, template_xlsx: bytes) -> tuple[str, bytes]:
    """One mangled return: cells replaced, re-encoded, truncated or bytes flipped, csv or xlsx."""
    kind = draw(st.sampled_from(["cells", "encoding", "truncate", "flip", "xlsx_truncate", "xlsx_flip"]))
    if kind == "cells":
        lines = template_csv.decode("utf-8-sig").splitlines()
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(lines) - 1))
            cells = lines[i].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = str(draw(_CELL)).replace(",", "，")
            lines[i] = ",".join(cells)
        data, name = "\r\n".join(lines).encode("utf-8", "surrogatepass"), "360124_2024Q4_fuzz.csv"
    elif kind == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "gb18030", "big5", "utf-8"]))
        data = template_csv.decode("utf-8-sig").encode(encoding, errors="replace")
        name = "360124_2024Q4_fuzz.csv"
    elif kind == "truncate":
        data, name = template_csv[: draw(st.integers(0, len(template_csv)))], "360124_2024Q4_fuzz.csv"
    elif kind == "flip":
        data = bytearray(template_csv)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data, name = bytes(data), "360124_2024Q4_fuzz.csv"
    elif kind == "xlsx_truncate":
        data, name = template_xlsx[: draw(st.integers(0, len(template_xlsx)))], "360124_2024Q4_fuzz.xlsx"
    else:
        data = bytearray(template_xlsx)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data, name = bytes(data), "360124_2024Q4_fuzz.xlsx"
    return name, data


FUZZ_EXAMPLES = 5


def test_fuzzed_return_files_are_each_recorded_and_nothing_escapes(reference, tmp_path_factory):
    from orchestration.returns.archive import archive_landing
    from orchestration.returns.intake import intake

    template_csv = write_csv_return(
        tmp_path_factory.mktemp("t") / "t.csv", "360124", "进贤县", "2024Q4", good_rows(reference, "360124")
    ).read_bytes()
    template_xlsx = good_workbook(reference, tmp_path_factory.mktemp("t") / "t.xlsx")
    fuzzed = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(return_file(template_csv, template_xlsx), min_size=5, max_size=10))
    def check(files):
        home = Home.resolve(tmp_path_factory.mktemp("fuzz")).ensure()
        shas = set()
        for n, (name, data) in enumerate(files):
            path = home.landing / f"{n:02d}_{name}"
            path.write_bytes(data)
            os.utime(path, (LANDED, LANDED))
            shas.add(hashlib.sha256(data).hexdigest())
        archive_landing(home)
        report = intake(home, reference)  # no exception may escape
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            recorded = [r[0] for r in con.execute("select sha256 from raw.return_files").fetchall()]
        assert sorted(recorded) == sorted(shas)
        assert len(report.accepted) + len(report.rejected) <= len(shas)
        assert len(list(home.notices.iterdir())) == len(shas)
        fuzzed.append(len(shas))

    check()
    assert len(fuzzed) == FUZZ_EXAMPLES
    FIGURES.parent.mkdir(exist_ok=True)
    (FIGURES.parent / "reliability-fuzz.json").write_text(json.dumps({"batches": len(fuzzed), "files": sum(fuzzed)}))
