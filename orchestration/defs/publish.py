"""Publish: after the marts are built and tested, swap in the analysts' copy atomically."""


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
    publication = publish(wuxing.home)
    context.log.info("published %s", publication.database)
    return dg.MaterializeResult(metadata={
        "database": dg.MetadataValue.path(str(publication.database)),
        "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
        "rows": dg.MetadataValue.json(publication.tables),
        "ranking_head": dg.MetadataValue.md(ranking_head_markdown(str(publication.database))),
    })
