"""The Dagster definitions: they load, the schedule is right, dbt arguments are built purely."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.definitions import build_definitions
from orchestration.defs.dbt import dbt_build_args
from orchestration.home import Home


def test_definitions_load_with_every_stage(tmp_path):
    defs = build_definitions(Home.resolve(tmp_path))
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"archived_returns", "validated_returns", "marts/mart_unit_rankings", "published_marts"} <= keys
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"unit_return", "evaluation_return"} <= checks
    assert any(name.startswith("rank_consistent") for name in checks)  # dbt tests become asset checks


def test_nightly_schedule_runs_the_whole_selection_at_two_in_shanghai(tmp_path):
    defs = build_definitions(Home.resolve(tmp_path))
    schedule = defs.resolve_schedule_def("nightly_at_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "nightly"
    job_keys = defs.resolve_job_def("nightly").asset_layer.executable_asset_keys
    assert dg.AssetKey("published_marts") in job_keys and dg.AssetKey("archived_returns") in job_keys


def test_dbt_build_args_point_at_the_home_warehouse(tmp_path):
    home = Home.resolve(tmp_path)
    args = dbt_build_args(home)
    assert args[0] == "build"
    assert json.loads(args[args.index("--vars") + 1]) == {"warehouse_path": str(home.warehouse)}
    assert dbt_build_args(home, full_refresh=True)[-1] == "--full-refresh"


def test_the_dbt_resource_knows_its_dbt_version_without_a_subprocess():
    """The version dagster-dbt would ask `dbt --version` for is the installed dbt-core's."""
    import subprocess

    from orchestration.defs.dbt import dbt_resource
    from orchestration.paths import DBT_EXECUTABLE

    shown = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True, text=True).stdout
    assert f"installed: {dbt_resource()._cli_version}" in shown
