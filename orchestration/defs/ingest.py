"""Ingest: archive every landed file before anything parses it."""

import os
import socket
import time

import dagster as dg

from orchestration.defs.constants import HOST_TAG, PID_TAG, WAREHOUSE_POOL
from orchestration.defs.resources import WuxingHome
from orchestration.returns.archive import archive_landing, archived_files

# Transient file-system errors (a share briefly unavailable, a file locked by the copier) are
# retried with exponential backoff: 2 s, 4 s, 8 s. Archiving is idempotent, so a retry is safe.
INGEST_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL)


def record_worker(context: dg.AssetExecutionContext) -> None:
    """Tag the run with the process executing it, so a later run can tell it died (SIGKILL)."""
    tags = context.run.tags
    if tags.get(PID_TAG) != str(os.getpid()):
        context.instance.add_run_tags(context.run.run_id, {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})


# In the warehouse pool too: two runs never move the same landed file at once.
@dg.asset(
    group_name="ingest",
    kinds={"python", "filesystem"},
    pool=WAREHOUSE_POOL,
    retry_policy=INGEST_RETRY,
    description="落地文件按 SHA-256 原样归档 / Every landed file archived by sha256, byte for byte.",
)
def archived_returns(context: dg.AssetExecutionContext, wuxing: WuxingHome) -> dg.MaterializeResult:
    record_worker(context)
    started = time.monotonic()
    report = archive_landing(wuxing.home)
    context.log.info("archived %d new file(s), %d duplicate(s)", len(report.archived), len(report.duplicates))
    return dg.MaterializeResult(
        metadata={
            "files_in": len(report.archived) + len(report.duplicates),
            "new_files": len(report.archived),
            "duplicates": len(report.duplicates),
            "archive_total": len(archived_files(wuxing.home)),
            "new_file_names": dg.MetadataValue.json([f.file_name for f in report.archived][:200]),
            "duration_seconds": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
            "attempt": context.retry_number + 1,
        }
    )
