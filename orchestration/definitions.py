"""All wuxing Dagster definitions: ingest, quality, dbt scoring (by period) and publish, plus
automation (the nightly job and schedule, the new-return sensor, the scoring of stale periods,
freshness checks and alert sensors)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation import (
    alert_on_check_failure,
    alert_on_run_failure,
    freshness_checks,
    freshness_sensor,
    new_return_sensor,
    nightly_job,
    nightly_schedule,
    score_changed_periods,
    score_periods_job,
)
from orchestration.defs.dbt import dbt_period_models, dbt_reference_models, dbt_resource
from orchestration.defs.ingest import archived_returns
from orchestration.defs.lifecycle import finalize_period_job, reopen_period_job, rescore_after_period_decision
from orchestration.defs.periods import period_plan, with_home_partitions
from orchestration.defs.publish import published_marts
from orchestration.defs.quality import validated_returns
from orchestration.defs.reports import period_reports
from orchestration.defs.resources import WuxingHome
from orchestration.defs.uncertainty import rank_uncertainty, uncertainty_job
from orchestration.home import Home


def build_definitions(home: Home) -> dg.Definitions:
    """The definitions wired to one home folder, partitioned by its framework's calendar."""
    return dg.Definitions(
        assets=[
            archived_returns,
            validated_returns,
            dbt_reference_models,
            period_plan,
            with_home_partitions(dbt_period_models, home),
            published_marts,
            with_home_partitions(period_reports, home),
            with_home_partitions(rank_uncertainty, home),
        ],
        asset_checks=freshness_checks,
        jobs=[nightly_job, score_periods_job, finalize_period_job, reopen_period_job, uncertainty_job],
        schedules=[nightly_schedule],
        sensors=[
            new_return_sensor,
            score_changed_periods,
            freshness_sensor,
            alert_on_run_failure,
            alert_on_check_failure,
            rescore_after_period_decision,
        ],
        resources={
            "wuxing": WuxingHome(root=str(home.root)),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions(Home.resolve())
