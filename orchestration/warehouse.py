"""The working DuckDB warehouse: raw tables written by ingest and short-lived connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.return_files (
    sha256 varchar primary key,
    file_name varchar not null,
    archive_path varchar not null,
    received_at timestamp not null,
    landed_at timestamp,
    size_bytes bigint not null,
    return_type varchar,
    submitter_code varchar,
    period varchar,
    status varchar not null,
    reasons varchar not null,
    error_count integer not null,
    warning_count integer not null
);
create table if not exists raw.return_values (
    sha256 varchar not null,
    unit_code varchar,
    period varchar,
    indicator_code varchar,
    value double,
    value_text varchar,
    is_na boolean not null,
    sheet varchar,
    source_row integer
);
create table if not exists raw.return_issues (
    sha256 varchar not null,
    severity varchar not null,
    rule varchar not null,
    sheet varchar,
    source_row integer,
    column_name varchar,
    value_seen varchar,
    message_zh varchar not null,
    fix_zh varchar not null
);
alter table raw.return_files add column if not exists landed_at timestamp;
alter table raw.return_values add column if not exists is_withdrawn boolean;
"""


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for one short unit of work and always close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables if they do not exist yet."""
    con.execute(RAW_DDL)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table exists in the connected database."""
    return (
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchall()[0][0]
        > 0
    )
