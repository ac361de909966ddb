"""Scoring: the dbt project (seeds -> staging -> intermediate -> marts) as Dagster assets."""


import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource,
                         DbtProject, dbt_assets)

from orchestration.defs.ingest import WAREHOUSE_POOL
from orchestration.defs.resources import WuxingHome
from orchestration.home import Home
from orchestration.paths import DBT_EXECUTABLE, DBT_PROJECT_DIR

VALIDATED_RETURNS = dg.AssetKey("validated_returns")
GROUP_FOR_FOLDER = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}

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


def dbt_vars(home: Home) -> dict[str, str]:
    """dbt variables for a home: where the warehouse is."""
    return {"warehouse_path": str(home.warehouse)}


def dbt_build_args(home: Home, full_refresh: bool = False) -> list[str]:
    """Arguments of the `dbt build` a run executes (seeds, models, data tests and unit tests)."""
    args = ["build", "--vars", json.dumps(dbt_vars(home))]
    return args + ["--full-refresh"] if full_refresh else args


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


translator = WuxingDbtTranslator(settings=DagsterDbtTranslatorSettings(
    enable_duplicate_source_asset_keys=True))


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, project=dbt_project,
            pool=WAREHOUSE_POOL)
def wuxing_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome):
    home = wuxing.home
    yield from dbt.cli(dbt_build_args(home), context=context,
                       target_path=home.root / "dbt_target").stream()
