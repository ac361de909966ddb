"""Scoring: the dbt project (seeds -> staging -> intermediate -> marts) as Dagster assets.

Two sets: the reference and return models, rebuilt every run, and the period-keyed scores,
partitioned by assessment period so one quarter can be re-scored or backfilled alone.
"""

import json
import os
from collections.abc import Mapping
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from orchestration.defs.constants import WAREHOUSE_POOL
from orchestration.defs.periods import period_partitions
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.lifecycle import FROZEN, LEDGER_MARTS, ensure_lifecycle_tables, settle_final_periods
from orchestration.paths import DBT_EXECUTABLE, DBT_PROJECT_DIR, SEEDS_DIR
from orchestration.periods import (
    begin_scoring,
    code_version,
    costed_by_findings,
    is_year,
    periods_with_returns,
    record_builds,
    select_periods,
)
from orchestration.reference_state import record_reference_build, reference_state
from orchestration.warehouse import connect, ensure_raw_tables

VALIDATED_RETURNS = dg.AssetKey("validated_returns")
GROUP_FOR_FOLDER = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}
PERIOD_SELECTOR = "tag:period"  # the models under models/*/by_period (dbt_project.yml)
# Everything else: not the period models nor anything reading them (their tests included), so a
# test of a score against dim_units runs with the scores, after the dimensions exist.
REFERENCE_EXCLUDE = "tag:period+"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file."""
    manifest = project.manifest_path
    sources = [
        p
        for folder in (project.project_dir, project.project_dir.parent / "seeds")
        for p in folder.rglob("*")
        if p.is_file() and "target" not in p.parts and "logs" not in p.parts
    ]
    if not manifest.exists() or manifest.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told the version of the dbt installed beside this Python (it is the
    dbt it runs) instead of asking `dbt --version` in a subprocess on every run (2 s of CPU)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource for the project, using the dbt installed beside this Python."""
    return InstalledDbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def seed_path(home: Home) -> str:
    """The home's framework folder as dbt's seed path (var `seed_path`), relative to the dbt project
    as dbt needs: it writes each seed's SQL to <target>/run/wuxing/<seed path>, never onto the CSV."""
    relative = os.path.relpath(home.framework, DBT_PROJECT_DIR)
    for models in ("reference", "periods"):
        if Path(os.path.normpath(dbt_target(home, models) / "run" / "wuxing" / relative)) == home.framework:
            raise ValueError(
                f"指标体系文件夹 {home.framework} 与 home 的相对位置会让 dbt 覆盖其 CSV，请移动其中之一 / "
                f"dbt would overwrite the framework's CSVs from this home: move the home or the folder"
            )
    return relative


def dbt_vars(home: Home) -> dict[str, Any]:
    """dbt variables for a home: where the warehouse is and its framework folder unless it is the
    default (seeds/). The same on every run of a home, so dbt's partial parse holds; the periods
    of a run are data (orchestration.periods.select_periods)."""
    variables: dict[str, Any] = {"warehouse_path": str(home.warehouse)}
    if home.framework != SEEDS_DIR:
        variables["seed_path"] = seed_path(home)
    return variables


def dbt_build_args(home: Home, full_refresh: bool = False, unit_tests: bool = False) -> list[str]:
    """Arguments of the `dbt build` a run executes (models and data tests; the unit tests check
    the SQL, not the data, and run in the test suite: tests/test_pipeline.py).
    """
    args = ["build", "--vars", json.dumps(dbt_vars(home))]
    args += [] if unit_tests else ["--exclude-resource-type", "unit_test"]
    return args + ["--full-refresh"] if full_refresh else args


def follow_finalisation(context: dg.AssetExecutionContext, home: Home, code: str, frozen: list[str]) -> None:
    """After a finalisation opened ledger items from the official results: rebuild the ledger
    marts, and re-score the quarters whose overdue deductions they change (with the quarters
    compared with them), so both show in this run, not one nightly run later."""

    def build(args: list[str]) -> None:
        dbt_resource().cli(args, target_path=dbt_target(home, "ledger")).wait()

    build(
        [
            "build",
            "--vars",
            json.dumps(dbt_vars(home)),
            "--select",
            " ".join(LEDGER_MARTS),
            "--exclude-resource-type",
            "unit_test",
        ]
    )
    context.log.info("整改台账已更新 / rectification ledger marts rebuilt: %s", ", ".join(LEDGER_MARTS))
    with connect(home.warehouse) as con:
        stale = costed_by_findings(con, frozen)
        if stale:
            select_periods(con, stale)
            begin_scoring(con, stale, context.run.run_id)
    if not stale:
        return
    context.log.info("逾期扣分有变化，重算 / overdue deductions changed, re-scoring %s", ", ".join(stale))
    build(dbt_build_args(home) + ["--select", PERIOD_SELECTOR])
    with connect(home.warehouse) as con:
        settle_final_periods(con, stale, context.run.run_id)
        record_builds(con, stale, context.run.run_id, code)


def dbt_target(home: Home, models: str) -> Path:
    """Where a dbt invocation of one asset set writes its artefacts (run_results.json, logs)."""
    return home.root / "dbt_target" / models


def periods_to_build(run_keys: list[str], with_returns: set[str]) -> list[str] | None:
    """The `periods` of a scoring run: None (rebuild every period from scratch) when the run covers
    every period that has returns, else the run's own partition keys."""
    return None if with_returns <= set(run_keys) else sorted(run_keys)


class WuxingDbtTranslator(DagsterDbtTranslator):
    """Raw sources map to the validated_returns asset; groups follow the model folders."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=VALIDATED_RETURNS)
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="reference")
        folder = props.get("fqn", ["", ""])[1]
        return spec.replace_attributes(group_name=GROUP_FOR_FOLDER.get(folder, "scoring"))

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=check_description(manifest["nodes"][unique_id]))


# What each kind of dbt test asserts, for the check's description in the UI.
TEST_KINDS = {
    "not_null": "不得为空 / is never null",
    "unique": "唯一 / is unique",
    "accepted_values": "取值在允许范围内 / takes only the accepted values",
    "relationships": "引用的代码存在 / refers to an existing row",
    "between": "数值在区间内 / lies within its bounds",
    "expression_is_true": "条件对每行成立 / holds on every row",
    "unique_combination": "组合唯一 / identifies one row",
    "rank_consistent": "名次与分数一致 / ranks agree with the scores",
}


def check_description(test: Mapping[str, Any]) -> str:
    """A readable description of a dbt test: what it asserts on which column, in Chinese and
    English, or the opening comment of a singular test."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    kind = metadata.get("name")
    if kind is None:  # a singular test: its SQL opens with comment lines saying what it asserts
        comments = [
            line.lstrip("- ").strip() for line in test.get("raw_code", "").splitlines() if line.startswith("--")
        ]
        return " ".join(comments) or test["name"]
    kwargs = metadata.get("kwargs", {})
    subject = (
        kwargs.get("column_name")
        or ", ".join(kwargs.get("combination_of_columns", []))
        or kwargs.get("expression")
        or ""
    )
    detail = {
        "accepted_values": kwargs.get("values"),
        "relationships": kwargs.get("to"),
        "expression_is_true": kwargs.get("expression"),
    }.get(kind)
    text = f"{subject}: {TEST_KINDS.get(kind, kind)}" if subject else TEST_KINDS.get(kind, kind)
    return f"{text} ({detail})" if detail and detail != subject else text


translator = WuxingDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=translator,
    project=dbt_project,
    exclude=REFERENCE_EXCLUDE,
    name="dbt_reference_models",
    pool=WAREHOUSE_POOL,
)
def dbt_reference_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome):
    """Seeds, staging, the framework tree, return versions, the return log and the dimensions;
    skipped (each asset reported unchanged) when nothing it reads changed since its last success."""
    home = wuxing.home
    args = dbt_build_args(home)
    with connect(home.warehouse) as con:
        ensure_lifecycle_tables(con)
    fingerprint, unchanged = reference_state(home.warehouse, home.framework, args)
    # TODO(issue16): skip when `unchanged`; yielding MaterializeResults must follow dbt's
    # topological order (Dagster refuses otherwise), not done yet: the build still runs.
    context.log.info("reference fingerprint %s (unchanged: %s)", fingerprint, unchanged)
    yield from dbt.cli(args, context=context, target_path=dbt_target(home, "reference")).stream()
    with connect(home.warehouse) as con:
        record_reference_build(con, fingerprint, context.run.run_id)


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=translator,
    project=dbt_project,
    select=PERIOD_SELECTOR,
    name="dbt_period_models",
    pool=WAREHOUSE_POOL,
    partitions_def=period_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_period_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome):
    """The period-keyed scores, for the run's partitions only; the ledger records what was scored."""
    home = wuxing.home
    code = code_version(home.framework)
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        ensure_lifecycle_tables(con)
        periods = periods_to_build(context.partition_keys, periods_with_returns(con))
        select_periods(con, periods)
        begin_scoring(con, context.partition_keys, context.run.run_id)
    context.log.info("scoring %s", "every period (full rebuild)" if periods is None else ", ".join(periods))
    args = dbt_build_args(home, full_refresh=periods is None)
    yield from dbt.cli(args, context=context, target_path=dbt_target(home, "periods")).stream()
    with connect(home.warehouse) as con:
        # Final periods: frozen on their first scoring after 定稿; later re-scorings only write the
        # comparison and the official rows are put back (orchestration.lifecycle).
        settled = settle_final_periods(con, periods, context.run.run_id)
        for period, outcome in settled.items():
            context.log.info("%s: %s", period, outcome)
        recorded = record_builds(con, context.partition_keys, context.run.run_id, code)
    context.log.info("ledger: %d period(s) recorded as scored", len(recorded))
    frozen = [period for period, outcome in settled.items() if outcome == FROZEN and not is_year(period)]
    if frozen:
        follow_finalisation(context, home, code, frozen)
