"""Periods: the assessment-period partitions and the plan of which periods to re-score.

After each intake the `period_plan` asset compares the accepted returns and the scoring rules
with the ledger of what each period was last scored from; the scoring runs it asks for (one per
contiguous range of stale periods) are built here for the sensor and the CLI alike.
"""

import json
from collections.abc import Sequence

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.defs.constants import AFTER_RUN_TAG, PERIODS_TAG, TRIGGER_TAG, WAREHOUSE_POOL
from orchestration.defs.quality import validated_returns
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.periods import code_version, partition_keys, plan
from orchestration.warehouse import connect, ensure_raw_tables

PERIOD_PLAN = dg.AssetKey("period_plan")

# The Jiangxi calendar's partitions, as the assets are declared; `build_definitions` gives each
# home the partitions of its own framework's calendar (`with_home_partitions`).
period_partitions = dg.StaticPartitionsDefinition(list(partition_keys()))


def with_home_partitions(assets: dg.AssetsDefinition, home: Home) -> dg.AssetsDefinition:
    """The period-partitioned assets over the quarters and years of the home's framework calendar."""
    partitions = dg.StaticPartitionsDefinition(list(partition_keys(home.framework)))
    return assets.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=partitions))


@dg.asset(
    group_name="scoring",
    deps=[validated_returns],
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    description="需重算的期次及原因（对照计分台账） / The periods whose scores are stale, and why",
)
def period_plan(wuxing: WuxingHome) -> dg.MaterializeResult:
    with connect(wuxing.home.warehouse) as con:
        ensure_raw_tables(con)
        stale = plan(con, code_version(wuxing.home.framework), wuxing.home.framework)
    return dg.MaterializeResult(
        metadata={
            "stale_periods": dg.MetadataValue.json(stale.stale),
            "scoring_runs": dg.MetadataValue.json([list(r) for r in stale.ranges()]),
            "unchanged_periods": len(stale.unchanged),
            "plan": dg.MetadataValue.md(stale.markdown()),
        }
    )


def planned_ranges(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """The scoring runs the `period_plan` of a finished run asked for (none if it did not plan)."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization and materialization.asset_key == PERIOD_PLAN:
            return [tuple(r) for r in materialization.metadata["scoring_runs"].value]
    return []


def scoring_tags(start: str, end: str, keys: Sequence[str], after_run: str | None = None) -> dict[str, str]:
    """Tags of a scoring run over the range start..end of the partition keys `keys` (one dbt
    build for all of it)."""
    keys = list(keys)
    periods = keys[keys.index(start) : keys.index(end) + 1]
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: start,
        ASSET_PARTITION_RANGE_END_TAG: end,
        PERIODS_TAG: json.dumps(periods),
    }
    return tags if after_run is None else {**tags, TRIGGER_TAG: "period_plan", AFTER_RUN_TAG: after_run}


def scoring_run_requests(instance: dg.DagsterInstance, run_id: str, home: Home) -> list[dg.RunRequest]:
    """One run request per range the run's plan asked for, keyed so each starts once."""
    keys = partition_keys(home.framework)
    return [
        dg.RunRequest(run_key=f"{run_id}:{start}..{end}", tags=scoring_tags(start, end, keys, run_id))
        for start, end in planned_ranges(instance, run_id)
    ]
