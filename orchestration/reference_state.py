"""Whether the reference build can be skipped: a fingerprint of everything it reads (the framework
folder, the dbt project, the raw and ops source tables), recorded after each successful build in
`ops.reference_builds`, like the period ledger records what each period was scored from."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.paths import DBT_PROJECT_DIR
from orchestration.periods import code_version
from orchestration.warehouse import connect, ensure_raw_tables, table_exists

# The dbt sources (models/staging/_sources.yml): what the reference models read besides files.
SOURCE_TABLES = (
    ("raw", "return_files"),
    ("raw", "return_values"),
    ("raw", "return_issues"),
    ("ops", "period_decisions"),
    ("ops", "appeals"),
    ("ops", "rectification_findings"),
    ("ops", "rectification_actions"),
)

REFERENCE_BUILDS_DDL = """
create schema if not exists ops;
create table if not exists ops.reference_builds (
    fingerprint varchar not null,
    built_at timestamp not null,
    run_id varchar
);
"""


def _files_digest(root: Path) -> str:
    """The singular data tests (not part of the period code version, but run by the build)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def reference_fingerprint(con: duckdb.DuckDBPyConnection, framework: Path, settings: str = "") -> str:
    """One digest of the reference build's inputs: code version (framework + dbt project), the
    project's data tests, the build's settings (its dbt arguments) and each source table's rows
    (count and an order-independent sum of row hashes; a missing table counts as empty)."""
    parts = [code_version(framework), _files_digest(DBT_PROJECT_DIR / "tests"), settings]
    for schema, table in SOURCE_TABLES:
        if table_exists(con, schema, table):
            count, total = con.execute(f"select count(*), sum(hash(t)::hugeint) from {schema}.{table} t").fetchone()
            parts.append(f"{schema}.{table}:{count}:{total}")
        else:
            parts.append(f"{schema}.{table}:absent")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def last_reference_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the last successful reference build (None before any)."""
    con.execute(REFERENCE_BUILDS_DDL)
    row = con.execute("select fingerprint from ops.reference_builds order by built_at desc limit 1").fetchone()
    return row[0] if row else None


def record_reference_build(con: duckdb.DuckDBPyConnection, fingerprint: str, run_id: str | None) -> None:
    """Record a successful reference build (one row kept: the latest)."""
    con.execute(REFERENCE_BUILDS_DDL)
    con.execute("delete from ops.reference_builds")
    con.execute(
        "insert into ops.reference_builds values (?, ?, ?)",
        [fingerprint, datetime.now(UTC).replace(tzinfo=None), run_id],
    )


def reference_state(warehouse: Path, framework: Path, args: list[str]) -> tuple[str, bool]:
    """(fingerprint of the reference build with these dbt arguments, whether it equals the last
    successful build's): the build can be skipped when it does."""
    with connect(warehouse) as con:
        ensure_raw_tables(con)
        fingerprint = reference_fingerprint(con, framework, " ".join(args))
        return fingerprint, fingerprint == last_reference_fingerprint(con)
