"""Publish: after the marts are built and tested, swap in the analysts' copy atomically."""


import time

import dagster as dg
import duckdb

from orchestration.defs.dbt import wuxing_dbt_assets
from orchestration.defs.ingest import WAREHOUSE_POOL
from orchestration.defs.resources import WuxingHome
from orchestration.publish import publish

RANKING_HEAD_SQL = """
select peer_group_name, rank_in_group, unit_name, total_score, grade
from marts.mart_unit_rankings
where period = (select max(period) from marts.mart_unit_rankings) and rank_in_group <= 3
order by peer_group, rank_in_group, unit_code
"""

MART_KEYS = [key for key in wuxing_dbt_assets.keys if key.path[-1].startswith(("mart_", "fct_", "dim_"))]


RETURN_STATUS_SQL = "select status, count(*) from marts.mart_return_log group by status"


def return_counts(database: str) -> dict[str, int]:
    """Returns by verdict in the published log: accepted / rejected / superseded (0 when none)."""
    with duckdb.connect(database, read_only=True) as con:
        counts = dict(con.execute(RETURN_STATUS_SQL).fetchall())
    return {status: int(counts.get(status, 0)) for status in ("accepted", "rejected", "superseded")}


def ranking_head_markdown(database: str) -> str:
    """The top three of each peer group in the latest period, as a markdown table."""
    with duckdb.connect(database, read_only=True) as con:
        rows = con.execute(RANKING_HEAD_SQL).fetchall()
    lines = ["| 组别 peer group | 名次 rank | 单位 unit | 总分 score | 等次 grade |", "|---|---|---|---|---|"]
    lines += [f"| {g} | {r} | {u} | {s:.2f} | {grade} |" for g, r, u, s, grade in rows]
    return "\n".join(lines)


@dg.asset(group_name="publish", deps=MART_KEYS, pool=WAREHOUSE_POOL, kinds={"duckdb", "parquet"},
          description="分析人员读取的发布库与 Parquet 文件（整体原子替换） / "
                      "The published DuckDB file and Parquet files, replaced atomically.")
def published_marts(context: dg.AssetExecutionContext, wuxing: WuxingHome) -> dg.MaterializeResult:
    started = time.monotonic()
    publication = publish(wuxing.home)
    context.log.info("published %s", publication.database)
    database = str(publication.database)
    counts = return_counts(database)
    return dg.MaterializeResult(metadata={
        "database": dg.MetadataValue.path(database),
        "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
        "rows": dg.MetadataValue.json(publication.tables),
        "rows_out": sum(publication.tables.values()),
        "dagster/row_count": publication.tables.get("mart_unit_rankings", 0),
        **{f"returns_{status}": n for status, n in counts.items()},
        "ranking_head": dg.MetadataValue.md(ranking_head_markdown(database)),
        "duration_seconds": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
    })
