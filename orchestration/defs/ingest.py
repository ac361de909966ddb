"""Ingest: archive every landed file before anything parses it."""


import dagster as dg

from orchestration.defs.resources import WuxingHome
from orchestration.returns.archive import archive_landing, archived_files

WAREHOUSE_POOL = "duckdb_warehouse"


@dg.asset(group_name="ingest", kinds={"python", "filesystem"},
          description="落地文件按 SHA-256 原样归档 / Every landed file archived by sha256, byte for byte.")
def archived_returns(context: dg.AssetExecutionContext, wuxing: WuxingHome) -> dg.MaterializeResult:
    report = archive_landing(wuxing.home)
    context.log.info("archived %d new file(s), %d duplicate(s)", len(report.archived), len(report.duplicates))
    return dg.MaterializeResult(metadata={
        "new_files": len(report.archived),
        "duplicates": len(report.duplicates),
        "archive_total": len(archived_files(wuxing.home)),
        "new_file_names": dg.MetadataValue.json([f.file_name for f in report.archived][:200]),
    })
