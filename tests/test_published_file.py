"""The published DuckDB file as analysts open it: with the oldest DuckDB the README promises, with a
description for every column, and with names beside the codes of the score facts."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

from orchestration.publish import OLDEST_READER, PUBLISHED_DB, STORAGE_VERSION

README = Path(__file__).resolve().parents[1] / "README.md"

READ_EVERY_MART = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute(
    "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
rows = {t: len(con.execute(f"select * from marts.{t}").fetchall()) for t in tables}
print(json.dumps({"version": duckdb.__version__, "rows": rows}))
"""


def oldest_duckdb(cache_dir: Path) -> Path:
    """A Python with DuckDB OLDEST_READER from PyPI, in a venv kept in pytest's cache between runs."""
    python = cache_dir / "bin" / "python"
    marker = cache_dir / f"duckdb-{OLDEST_READER}.installed"
    if not marker.exists():
        venv.create(cache_dir, clear=True, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"duckdb=={OLDEST_READER}"],
            check=True,
            timeout=600,
        )
        marker.touch()
    return python


def test_the_readme_promises_the_oldest_reader():
    text = README.read_text(encoding="utf-8")
    assert f"DuckDB {OLDEST_READER}" in text
    assert STORAGE_VERSION == f"v{OLDEST_READER}"


def test_the_oldest_promised_duckdb_reads_every_mart(demo_run, request):
    assert demo_run.succeeded
    database = demo_run.home.published / PUBLISHED_DB
    python = oldest_duckdb(Path(request.config.cache.mkdir(f"duckdb-{OLDEST_READER}-venv")))
    out = subprocess.run(
        [str(python), "-c", READ_EVERY_MART, str(database)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout)
    assert seen["version"] == OLDEST_READER
    expected = [t for (t,) in demo_run.query("select table_name from duckdb_tables() where schema_name = 'marts'")]
    assert set(seen["rows"]) == set(expected) and len(expected) >= 10
    for table in expected:
        assert seen["rows"][table] == demo_run.query(f"select count(*) from marts.{table}")[0][0], table


def test_every_mart_and_column_has_a_description(demo_run):
    columns = demo_run.query(
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' order by table_name, column_index"
    )
    assert len(columns) > 150
    missing = [f"{t}.{c}" for t, c, comment in columns if not (comment or "").strip()]
    assert not missing, missing
    tables = demo_run.query("select table_name, comment from duckdb_tables() where schema_name = 'marts'")
    assert all((comment or "").strip() for _, comment in tables), tables
    # bilingual: Chinese and English in the descriptions of the score facts
    comment = dict(((t, c), x) for t, c, x in columns)[("fct_indicator_scores", "indicator_name_zh")]
    assert "指标" in comment and "indicator" in comment


def test_names_stand_beside_every_code_of_the_score_facts(demo_run):
    pairs = {
        "fct_indicator_scores": [
            ("unit_code", "unit_name"),
            ("peer_group", "peer_group_name"),
            ("indicator_code", "indicator_name_zh"),
            ("dimension_code", "dimension_name_zh"),
            ("measure_code", "measure_name_zh"),
        ],
        "fct_dimension_scores": [
            ("unit_code", "unit_name"),
            ("peer_group", "peer_group_name"),
            ("dimension", "dimension_name_zh"),
        ],
        "fct_part_scores": [("unit_code", "unit_name"), ("peer_group", "peer_group_name"), ("part", "part_name_zh")],
    }
    for table, columns in pairs.items():
        for code, name in columns:
            rows, codes, named = demo_run.query(
                f"select count(*), count({code}), count({code}) filter (where {name} is not null "
                f"and {name} <> '' and regexp_matches({name}, '[\\x{{4e00}}-\\x{{9fff}}]')) from marts.{table}"
            )[0]
            assert rows > 0 and codes > 0 and named == codes, (table, code, name, rows, codes, named)
    # the names are the reference names: one name per code
    assert (
        demo_run.query(
            "select count(*) from (select indicator_code from marts.fct_indicator_scores "
            "group by indicator_code having count(distinct indicator_name_zh) > 1)"
        )[0][0]
        == 0
    )
    assert (
        demo_run.query(
            "select count(*) from marts.fct_indicator_scores f join marts.dim_units u "
            "using (unit_code) where f.unit_name <> u.unit_name "
            "or f.peer_group_name <> u.peer_group_name"
        )[0][0]
        == 0
    )
