"""The Dagster instance of a home folder: run history shared by the CLI, the UI and the schedule."""

from __future__ import annotations

import dagster as dg

from orchestration.home import Home

DAGSTER_YAML = """\
# Written by wuxing on first use; edit freely (see README "Production").
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


def instance_for(home: Home) -> dg.DagsterInstance:
    """The persistent Dagster instance stored under <home>/dagster."""
    config = home.dagster_home / "dagster.yaml"
    if not config.exists():
        home.dagster_home.mkdir(parents=True, exist_ok=True)
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home.dagster_home))
