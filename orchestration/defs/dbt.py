"""Scoring: the dbt project (seeds -> staging -> intermediate -> marts) as Dagster assets.

Two sets: the reference and return models, rebuilt every run, and the period-keyed scores,
partitioned by assessment period so one quarter can be re-scored or backfilled alone.
"""


import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource,
                         DbtProject, dbt_assets)

from orchestration.defs.constants import WAREHOUSE_POOL
from orchestration.defs.periods import period_partitions
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.lifecycle import ensure_lifecycle_tables, settle_final_periods
from orchestration.paths import DBT_EXECUTABLE, DBT_PROJECT_DIR, SEEDS_DIR
from orchestration.periods import (begin_scoring, code_version, periods_with_returns, record_builds,
                                   scored_code_versions)
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
    sources = [p for folder in (project.project_dir, project.project_dir.parent / "seeds")
               for p in folder.rglob("*") if p.is_file() and "target" not in p.parts
               and "logs" not in p.parts]
    if not manifest.exists() or manifest.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource for the project, using the dbt installed beside this Python."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def seed_path(home: Home) -> str:
    """The home's framework folder as dbt's seed path (var `seed_path`), relative to the dbt project
    as dbt needs: it writes each seed's SQL to <target>/run/wuxing/<seed path>, never onto the CSV."""
    relative = os.path.relpath(home.framework, DBT_PROJECT_DIR)
    for models in ("reference", "periods"):
        if Path(os.path.normpath(dbt_target(home, models) / "run" / "wuxing" / relative)) == home.framework:
            raise ValueError(f"指标体系文件夹 {home.framework} 与 home 的相对位置会让 dbt 覆盖其 CSV，请移动其中之一 / "
                             f"dbt would overwrite the framework's CSVs from this home: move the home or the folder")
    return relative


def dbt_vars(home: Home, periods: list[str] | None = None) -> dict[str, Any]:
    """dbt variables for a home: where the warehouse is, its framework folder unless it is the
    default (seeds/) and, for a limited run, which periods."""
    variables: dict[str, Any] = {"warehouse_path": str(home.warehouse)}
    if home.framework != SEEDS_DIR:
        variables["seed_path"] = seed_path(home)
    return variables if periods is None else {**variables, "periods": list(periods)}


def dbt_build_args(home: Home, periods: list[str] | None = None, full_refresh: bool = False,
                   unit_tests: bool = True) -> list[str]:
    """Arguments of the `dbt build` a run executes (models, data tests and unit tests).

    `periods` limits the period-keyed models to those partitions (macros/periods.sql).
    """
    args = ["build", "--vars", json.dumps(dbt_vars(home, periods))]
    args += [] if unit_tests else ["--exclude-resource-type", "unit_test"]
    return args + ["--full-refresh"] if full_refresh else args


def dbt_target(home: Home, models: str) -> Path:
    """Where a dbt invocation of one asset set writes its artefacts (run_results.json, logs)."""
    return home.root / "dbt_target" / models


def periods_to_build(run_keys: list[str], with_returns: set[str]) -> list[str] | None:
    """The `periods` of a scoring run: None (rebuild every period from scratch) when the run covers
    every period that has returns, else the run's own partition keys."""
    return None if with_returns <= set(run_keys) else sorted(run_keys)


class WuxingDbtTranslator(DagsterDbtTranslator):
    """Raw sources map to the validated_returns asset; groups follow the model folders."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=VALIDATED_RETURNS)
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="reference")
        folder = props.get("fqn", ["", ""])[1]
        return spec.replace_attributes(group_name=GROUP_FOR_FOLDER.get(folder, "scoring"))

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
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
        comments = [line.lstrip("- ").strip() for line in test.get("raw_code", "").splitlines()
                    if line.startswith("--")]
        return " ".join(comments) or test["name"]
    kwargs = metadata.get("kwargs", {})
    subject = (kwargs.get("column_name") or ", ".join(kwargs.get("combination_of_columns", []))
               or kwargs.get("expression") or "")
    detail = {"accepted_values": kwargs.get("values"), "relationships": kwargs.get("to"),
              "expression_is_true": kwargs.get("expression")}.get(kind)
    text = f"{subject}: {TEST_KINDS.get(kind, kind)}" if subject else TEST_KINDS.get(kind, kind)
    return f"{text} ({detail})" if detail and detail != subject else text


translator = WuxingDbtTranslator(settings=DagsterDbtTranslatorSettings(
    enable_duplicate_source_asset_keys=True))


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, project=dbt_project,
            exclude=REFERENCE_EXCLUDE, name="dbt_reference_models", pool=WAREHOUSE_POOL)
def dbt_reference_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome):
    """Seeds, staging, the framework tree, return versions, the return log and the dimensions."""
    home = wuxing.home
    with connect(home.warehouse) as con:
        ensure_lifecycle_tables(con)
    yield from dbt.cli(dbt_build_args(home), context=context, target_path=dbt_target(home, "reference")).stream()


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, project=dbt_project,
            select=PERIOD_SELECTOR, name="dbt_period_models", pool=WAREHOUSE_POOL,
            partitions_def=period_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def dbt_period_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome):
    """The period-keyed scores, for the run's partitions only; the ledger records what was scored."""
    home = wuxing.home
    code = code_version(home.framework)
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        ensure_lifecycle_tables(con)
        periods = periods_to_build(context.partition_keys, periods_with_returns(con))
        # Unit tests check the SQL, not the data: they run with every full rebuild and whenever
        # the scoring code changed since the periods were last scored.
        unit_tests = periods is None or scored_code_versions(con) != {code}
        begin_scoring(con, context.partition_keys, context.run.run_id)
    context.log.info("scoring %s", "every period (full rebuild)" if periods is None else ", ".join(periods))
    args = dbt_build_args(home, periods, full_refresh=periods is None, unit_tests=unit_tests)
    yield from dbt.cli(args, context=context, target_path=dbt_target(home, "periods")).stream()
    with connect(home.warehouse) as con:
        # Final periods: frozen on their first scoring after 定稿; later re-scorings only write the
        # comparison and the official rows are put back (orchestration.lifecycle).
        for period, outcome in settle_final_periods(con, periods, context.run.run_id).items():
            context.log.info("%s: %s", period, outcome)
        recorded = record_builds(con, context.partition_keys, context.run.run_id, code)
    context.log.info("ledger: %d period(s) recorded as scored", len(recorded))
