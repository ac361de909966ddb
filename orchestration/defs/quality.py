"""Quality: judge new returns with the GX suites; rejected ones go to quarantine with a notice."""

import time

import dagster as dg

from orchestration.defs.constants import WAREHOUSE_POOL
from orchestration.defs.ingest import archived_returns
from orchestration.defs.resources import WuxingHome
from orchestration.docs import publish_gx_docs
from orchestration.returns.intake import intake
from orchestration.returns.rules import catalogue
from orchestration.returns.validate import SUITE_FOR_TYPE, WARNINGS_SUITE

SUITE_CHECKS = [
    dg.AssetCheckSpec(
        name=suite,
        asset="validated_returns",
        description=f"{catalogue().suites[suite]['title_zh']}：Great Expectations 规则集 {suite}"
        "（由 expectations/return_rules.yaml 生成），"
        + (
            "每份新收文件均校验，有文件被退回时失败并告警 / GX suite "
            f"{suite} (built from expectations/return_rules.yaml) on every new return; "
            "fails (and alerts) when a return is rejected"
            if suite != WARNINGS_SUITE
            else "只提示、从不失败：带提示的受理文件计入元数据与运行摘要 / never fails: accepted "
            "returns with warnings are counted in its metadata and the run summary, not alerted"
        ),
    )
    for suite in [*SUITE_FOR_TYPE.values(), WARNINGS_SUITE]
]
REJECTIONS_CHECK = dg.AssetCheckSpec(
    name="returns_rejected",
    asset="validated_returns",
    description="每份被退回的新文件（任何环节：文件名、大小、格式、无法读取、校验）都使本检查不通过并列出文件名 / "
    "Fails when any new return is rejected, at any stage, naming the files",
)
MAX_NAMED = 20  # files named in the check's description (all of them are in its metadata)


@dg.asset(
    group_name="quality",
    deps=[archived_returns],
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    check_specs=[*SUITE_CHECKS, REJECTIONS_CHECK],
    description="新收文件的校验结论与数据（raw 层） / Verdicts and values of new returns in raw.*",
)
def validated_returns(context: dg.AssetExecutionContext, wuxing: WuxingHome) -> dg.MaterializeResult:
    started = time.perf_counter()
    report = intake(wuxing.home, wuxing.reference())
    duration = time.perf_counter() - started
    data_docs = publish_gx_docs(wuxing.home) if report.data_docs else None  # offline, at <home>/docs/gx
    runs = {run.suite: run for run in report.suite_runs}
    checks = []
    for spec in SUITE_CHECKS:
        run = runs.get(spec.name)
        checks.append(
            dg.AssetCheckResult(
                check_name=spec.name,
                # Severity decides: a rejection (blocking suite) fails the check and alerts; warnings on
                # accepted returns are reported, not alerted.
                passed=run is None or spec.name == WARNINGS_SUITE or run.flagged_returns == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={}
                if run is None
                else {
                    "returns_validated": run.returns,
                    "rows_validated": run.rows,
                    "expectations": run.expectations,
                    "returns_flagged": run.flagged_returns,
                    "failed_rules": dg.MetadataValue.json(run.failed_expectations),
                },
            )
        )
    names = list(report.rejected)
    checks.append(
        dg.AssetCheckResult(
            check_name=REJECTIONS_CHECK.name,
            passed=not names,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"退回 {len(names)} 份 / {len(names)} rejected: "
                + "、".join(names[:MAX_NAMED])
                + ("…" if len(names) > MAX_NAMED else "")
            )
            if names
            else "无退回 / none rejected",
            metadata={"returns_rejected": len(names), "files": dg.MetadataValue.json(names)},
        )
    )
    rejected = "\n".join(f"| {name} | {reason} |" for name, reason in list(report.rejected.items())[:50])
    return dg.MaterializeResult(
        metadata={
            "returns_accepted": len(report.accepted),
            "returns_rejected": len(report.rejected),
            "returns_with_warnings": report.warned,
            "returns_held": len(report.held),  # valid, but their period is final (定稿): not scored
            "rows_in": report.rows_in,
            "duration_seconds": round(duration, 2),
            **({"data_docs": dg.MetadataValue.path(str(data_docs))} if data_docs else {}),
            "rejections": dg.MetadataValue.md(
                "| 文件 file | 首个问题 first problem |\n|---|---|\n" + rejected if rejected else "无 none"
            ),
        },
        check_results=checks,
    )
