"""Publishing the marts: a fresh DuckDB file and Parquet snapshot, swapped in atomically."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.home import Home
from orchestration.warehouse import table_exists

PUBLISHED_DB = "wuxing.duckdb"
PARQUET_LINK = "parquet"
SNAPSHOTS = "snapshots"
KEEP_SNAPSHOTS = 6  # a night publishes twice or more: after intake and after each scoring run
# The published file is written in the storage format of DuckDB 1.4 (the LTS line), so analysts'
# DuckDB 1.4.0 and newer open it; the newest DuckDB would write a format older releases refuse.
STORAGE_VERSION = "v1.4.0"
OLDEST_READER = "1.4.0"
PUBLISH_LOCK = ".publish.lock"  # held (flock) by the running publish
COMPLETE_MARKER = "_COMPLETE"  # written into a snapshot after its last Parquet file
_STAMP = re.compile(r"\d{8}T\d{12}Z")


@dataclass(frozen=True)
class Publication:
    """What a publish wrote."""

    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # mart -> rows


def mart_tables(warehouse: Path) -> list[str]:
    """Tables in the warehouse's marts schema."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    return [r[0] for r in rows]


def publish(home: Home, now: datetime | None = None) -> Publication:
    """Copy every mart into a new DuckDB file and Parquet folder, then swap both into place.

    Readers holding the previous file keep reading it; new readers see the new one; nobody sees
    a half-written file, and the working warehouse is never opened by analysts. Debris of earlier
    failed publishes is removed first, and this one's own if it fails (a full disk stays usable).
    """
    home.published.mkdir(parents=True, exist_ok=True)
    with open(home.published / PUBLISH_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one publish at a time; the kernel frees it if we are killed
        return _publish_locked(home, (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ"))


def _publish_locked(home: Home, stamp: str) -> Publication:
    """publish() once it holds the publish lock: whatever staging debris exists is a dead publish's."""
    remove_debris(home.published, stamp)
    snapshot = home.published / SNAPSHOTS / stamp
    staging_db = home.published / f".{PUBLISHED_DB}.{stamp}.part"
    tmp_link = home.published / f".{PARQUET_LINK}.{stamp}"
    try:
        snapshot.mkdir(parents=True)
        tables = mart_tables(home.warehouse)
        counts: dict[str, int] = {}
        with duckdb.connect() as con:
            con.execute(f"attach ? as pub (storage_version '{STORAGE_VERSION}')", [str(staging_db)])
            con.execute("use pub")
            con.execute("attach ? as wh (read_only)", [str(home.warehouse)])
            con.execute("create schema marts")
            for table in tables:
                con.execute(f"create table marts.{table} as select * from wh.marts.{table}")
                con.execute(f"copy marts.{table} to ? (format parquet)", [f"{snapshot / table}.parquet"])
                counts[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
            copy_comments(con, "wh", "pub")
            con.execute("detach wh")
            con.execute("use memory")
            con.execute("detach pub")
        (snapshot / COMPLETE_MARKER).write_text(stamp, encoding="utf-8")  # after its last file
        os.replace(staging_db, home.published / PUBLISHED_DB)
        os.symlink(Path(SNAPSHOTS) / stamp, tmp_link)
        os.replace(tmp_link, home.published / PARQUET_LINK)
    except BaseException:
        for leftover in (staging_db, staging_db.with_name(staging_db.name + ".wal"), tmp_link):
            leftover.unlink(missing_ok=True)
        if _linked_snapshot(home.published) != stamp:
            shutil.rmtree(snapshot, ignore_errors=True)
        raise
    _prune(home.published / SNAPSHOTS)
    return Publication(database=home.published / PUBLISHED_DB, parquet_dir=home.published / PARQUET_LINK, tables=counts)


def _linked_snapshot(published: Path) -> str | None:
    """The stamp of the snapshot the parquet link points to (the live one), if any."""
    link = published / PARQUET_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _stamp_of(name: str) -> str | None:
    """The publish stamp inside a staging file's or snapshot's name, if it has one."""
    found = _STAMP.search(name)
    return found.group(0) if found else None


def remove_debris(published: Path, before: str) -> list[Path]:
    """Remove what publishes older than stamp `before` left unfinished: staging files (.part and
    their .wal), temporary links and snapshots never marked complete; never the live file, the
    live snapshot, or anything of a publish started at or after `before`."""
    live = _linked_snapshot(published)
    removed = []
    for path in published.iterdir():
        stamp = _stamp_of(path.name)
        if path.name.startswith(".") and path.name != PUBLISH_LOCK and stamp is not None and stamp < before:
            path.unlink(missing_ok=True)
            removed.append(path)
    snapshots = published / SNAPSHOTS
    for folder in sorted(snapshots.iterdir()) if snapshots.is_dir() else []:
        if folder.name != live and folder.name < before and not (folder / COMPLETE_MARKER).exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_comments(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Copy the marts' table and column descriptions (dbt persist_docs) from one attached
    database to another, so `duckdb_columns()` of the published file shows them."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = ? "
        "and schema_name = 'marts' and comment is not null",
        [source],
    ).fetchall()
    for table, comment in tables:
        con.execute(f'comment on table {target}.marts."{table}" is {_literal(comment)}')
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = 'marts' and comment is not null",
        [source],
    ).fetchall()
    for table, column, comment in columns:
        con.execute(f'comment on column {target}.marts."{table}"."{column}" is {_literal(comment)}')


def _prune(snapshots: Path) -> None:
    """Keep the newest complete snapshots only; readers of an older one have had several runs to
    finish. Unfinished ones never count among those kept."""
    complete = sorted(p for p in snapshots.iterdir() if (p / COMPLETE_MARKER).exists())
    for old in complete[:-KEEP_SNAPSHOTS]:
        shutil.rmtree(old, ignore_errors=True)


RankingRow = tuple[str, int, str, float, str, str, str]  # peer group name, rank, unit, total, grade, light,
#                                                      and the unit's short name


def ranking_head(database: Path, top: int = 3) -> tuple[str | None, list[RankingRow]]:
    """The latest period in a published file and the first `top` of each peer group in it
    (no period and no rows before the first scoring run)."""
    with duckdb.connect(str(database), read_only=True) as con:
        if not table_exists(con, "marts", "mart_unit_rankings"):
            return None, []
        period = con.execute("select max(period) from marts.mart_unit_rankings").fetchone()[0]
        rows = con.execute(
            "select peer_group_name, rank_in_group, unit_name, total_score, grade, light, short_name "
            "from marts.mart_unit_rankings where period = ? and rank_in_group <= ? "
            "order by peer_group, rank_in_group, unit_code",
            [period, top],
        ).fetchall()
    return period, rows


def result_status(database: Path, period: str | None) -> tuple[str, int]:
    """How a period's published ranking stands: 暂定（公示）/ 定稿, and how many units are not ranked
    (数据不全); ('', 0) before the columns exist."""
    with duckdb.connect(str(database), read_only=True) as con:
        if period is None or not table_exists(con, "marts", "mart_unit_rankings"):
            return "", 0
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns where table_name = 'mart_unit_rankings'"
            ).fetchall()
        }
        if "result_status" not in columns:
            return "", 0
        status, unranked = con.execute(
            "select max(result_status), count(*) filter (where not is_ranked) "
            "from marts.mart_unit_rankings where period = ?",
            [period],
        ).fetchone()
    return status or "", int(unranked or 0)


def return_counts(database: Path) -> dict[str, int]:
    """Returns by verdict in a published log: accepted / rejected / superseded, and accepted with
    warnings (0 when none)."""
    with duckdb.connect(str(database), read_only=True) as con:
        counts = dict(con.execute("select status, count(*) from marts.mart_return_log group by status").fetchall())
        warned = con.execute(
            "select count(*) from marts.mart_return_log where status <> 'rejected' and warning_count > 0"
        ).fetchone()[0]
    held = {"held": int(counts["held"])} if counts.get("held") else {}
    return {
        **{status: int(counts.get(status, 0)) for status in ("accepted", "rejected", "superseded")},
        **held,
        "with_warnings": int(warned),
    }
