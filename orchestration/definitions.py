"""All wuxing Dagster definitions: ingest, quality, dbt scoring and publish, plus automation
(the nightly job and schedule, the new-return sensor, freshness checks and alert sensors)."""

from __future__ import annotations

import dagster as dg
from orchestration.defs.automation import (NIGHTLY_CRON, TIMEZONE, alert_on_check_failure,  # noqa: F401
                                           alert_on_run_failure, freshness_checks, freshness_sensor,
                                           new_return_sensor, nightly_job, nightly_schedule)
from orchestration.defs.dbt import dbt_resource, wuxing_dbt_assets
from orchestration.defs.ingest import archived_returns
from orchestration.defs.publish import published_marts
from orchestration.defs.quality import validated_returns
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home



def build_definitions(home: Home) -> dg.Definitions:
    """The definitions wired to one home folder."""
    return dg.Definitions(
        assets=[archived_returns, validated_returns, wuxing_dbt_assets, published_marts],
        asset_checks=freshness_checks,
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[new_return_sensor, freshness_sensor, alert_on_run_failure, alert_on_check_failure],
        resources={
            "wuxing": WuxingHome(root=str(home.root)),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions(Home.resolve())
