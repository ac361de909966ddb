"""Publish: after the marts are built and tested, swap in the analysts' copy atomically."""

import time
from pathlib import Path

import dagster as dg

from orchestration.defs.constants import WAREHOUSE_POOL
from orchestration.defs.dbt import dbt_period_models, dbt_reference_models
from orchestration.defs.resources import WuxingHome
from orchestration.periods import periods_scored_by, unfinished_periods
from orchestration.publish import publish, ranking_head, result_status, return_counts

MART_KEYS = [
    key
    for assets in (dbt_reference_models, dbt_period_models)
    for key in assets.keys
    if key.path[-1].startswith(("mart_", "fct_", "dim_"))
]


def ranking_head_markdown(database: Path) -> str:
    """The top three of each peer group in the latest period, as a markdown table."""
    period, rows = ranking_head(database)
    if period is None:
        return "尚未计分 / not scored yet"
    status, unranked = result_status(database, period)
    note = f"（另有 {unranked} 个单位数据不全，暂不排名）" if unranked else ""
    lines = [
        f"{period} {status}{note}",
        "",
        "| 组别 peer group | 名次 rank | 单位 unit | 总分 score | 等次 grade | 灯 light |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {g} | {r} | {u} | {s:.2f} | {grade} | {light} |" for g, r, u, s, grade, light, _ in rows]
    return "\n".join(lines)


def marts_markdown(database: Path, rows: dict[str, int]) -> str:
    """Each published mart with its row count and description, as a markdown table."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        comments = dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
    lines = ["| 表 mart | 行数 rows | 说明 description |", "|---|---:|---|"]
    lines += [
        f"| {table} | {count} | {' '.join((comments.get(table) or '').split())[:120]} |"
        for table, count in sorted(rows.items())
    ]
    return "\n".join(lines)


def docs_links(home) -> dict[str, dg.MetadataValue]:
    """Where the offline documentation of this home is (`wuxing docs` builds dbt's)."""
    from orchestration.docs import dbt_docs_index, gx_docs_index

    pages = {"gx_data_docs": gx_docs_index(home), "dbt_docs": dbt_docs_index(home)}
    return {name: dg.MetadataValue.path(str(path)) for name, path in pages.items() if path.exists()}


@dg.asset(
    group_name="publish",
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    output_required=False,
    description="分析人员读取的发布库与 Parquet 文件（整体原子替换） / "
    "The published DuckDB file and Parquet files, replaced atomically.",
)
def published_marts(context: dg.AssetExecutionContext, wuxing: WuxingHome):
    unfinished = unfinished_periods(wuxing.home.warehouse)
    if unfinished:  # a failed scoring run left these half rebuilt: keep the last publication
        context.log.warning(
            "未发布：期次 %s 上次重算未完成，待重算后发布 / not published: the last scoring "
            "of %s did not finish; the next scoring run publishes",
            unfinished,
            unfinished,
        )
        return
    started = time.monotonic()
    publication = publish(wuxing.home)
    context.log.info("published %s", publication.database)
    database = publication.database
    counts = return_counts(database)
    scored = periods_scored_by(wuxing.home.warehouse, context.run.run_id)
    yield dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(database)),
            "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
            "rows": dg.MetadataValue.json(publication.tables),
            "rows_out": sum(publication.tables.values()),
            "dagster/row_count": publication.tables.get("mart_unit_rankings", 0),
            **{f"returns_{status}": n for status, n in counts.items()},
            "ranking_head": dg.MetadataValue.md(ranking_head_markdown(database)),
            "periods_scored_in_run": dg.MetadataValue.json(scored),
            "marts": dg.MetadataValue.md(marts_markdown(database, publication.tables)),
            **docs_links(wuxing.home),
            "duration_seconds": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
        }
    )
