"""Reports: after each publish of a scoring run, the office's reports of the periods it scored."""

import dagster as dg

from orchestration.defs.periods import period_partitions
from orchestration.defs.publish import published_marts
from orchestration.defs.resources import WuxingHome
from orchestration.reports.build import build_report
from orchestration.reports.data import ReportError


# Reports read the published file only; they never open the warehouse, so they need no pool slot.
@dg.asset(
    group_name="publish",
    deps=[published_marts],
    partitions_def=period_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"excel", "html"},
    description="各期次的考核结果通报（xlsx）、通报草稿（docx）与离线网页看板，原子发布到 "
    "published/reports/<期次>/ / The 通报 workbook, draft text and offline scorecard "
    "of each period, published atomically to published/reports/<period>/.",
)
def period_reports(context: dg.AssetExecutionContext, wuxing: WuxingHome) -> dg.MaterializeResult:
    home = wuxing.home
    made, skipped = {}, {}
    for period in context.partition_keys:
        try:
            report = build_report(home, period, run_id=context.run.run_id)
        except ReportError as error:  # a key of the range without scores (e.g. a year not yet begun)
            skipped[period] = str(error)
            context.log.info("no report for %s: %s", period, error)
            continue
        made[period] = {"folder": str(report.folder), "seconds": round(report.seconds, 2)}
    return dg.MaterializeResult(
        metadata={
            "reports": dg.MetadataValue.json(made),
            "skipped": dg.MetadataValue.json(skipped),
            "periods_reported": len(made),
        }
    )
