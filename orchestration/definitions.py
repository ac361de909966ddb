"""All wuxing Dagster definitions: ingest, quality, dbt scoring and publish, plus the nightly job."""

from __future__ import annotations

import dagster as dg
from orchestration.defs.dbt import dbt_resource, wuxing_dbt_assets
from orchestration.defs.ingest import archived_returns
from orchestration.defs.publish import published_marts
from orchestration.defs.quality import validated_returns
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "Asia/Shanghai"

nightly_job = dg.define_asset_job(
    "nightly", selection=dg.AssetSelection.all(),
    description="收文归档 → 校验 → 计分 → 发布 / Archive, validate, score and publish.")

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_at_0200", job=nightly_job, cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING)


def build_definitions(home: Home) -> dg.Definitions:
    """The definitions wired to one home folder."""
    return dg.Definitions(
        assets=[archived_returns, validated_returns, wuxing_dbt_assets, published_marts],
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        resources={
            "wuxing": WuxingHome(root=str(home.root)),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions(Home.resolve())
