"""Checking a frame with a Great Expectations suite built from the rule catalogue, and turning
failing rows into Issues pointing at file, sheet, row and cell."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import pandas as pd

from orchestration.reference import Reference
from orchestration.returns.issues import Issue
from orchestration.returns.rules import Catalogue
from orchestration.returns.settings import ValidationSettings

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Which frame column a failing expectation points at -> the frame column holding what the clerk typed.
_SEEN_COLUMN = {
    "value": "value_text",
    "reportable_key": "indicator_code",
    "submitter_code": "submitter_text",
    "unit_code": "unit_text",
    "period": "period_text",
    "period_status": "period_text",
    "placeholder": "value_text",
    "value_fraction": "value_text",
    "change_ratio": "value_text",
    "whole_value": "value_text",
    "file_name_code": "file_name",
    "file_name_period": "file_name",
    "days_late": "landed_on",
    "identical_to_previous": "period",
}


class SuiteChecker:
    """Runs the catalogue's suites on frames, in memory or keeping results and Data Docs."""

    def __init__(
        self, reference: Reference, settings: ValidationSettings, rules: Catalogue, docs_dir: Path | None = None
    ) -> None:
        self.reference, self.settings, self.rules, self.docs_dir = reference, settings, rules, docs_dir

    @cached_property
    def context(self):
        """A GX context, file-backed under docs_dir when Data Docs are kept; progress bars off."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        if self.docs_dir is None:
            context = gx.get_context(mode="ephemeral")
        else:
            context = gx.get_context(mode="file", project_root_dir=str(self.docs_dir))
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        return context

    def suite(self, name: str):
        """A suite built from the rule catalogue."""
        import great_expectations as gx

        if name not in self.rules.suites:  # a suite kept in its own file (rectification_return.json)
            import json

            from orchestration.paths import EXPECTATIONS_DIR

            spec = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        else:
            spec = self.rules.suite(name)
        return gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"], meta=spec["meta"])

    @cached_property
    def parameters(self) -> dict[str, object]:
        """Values the suites' $PARAMETERs take: registries, periods, who reports what, thresholds."""
        indicators = self.reference.indicators
        reportable = [
            f"{row.source}:{tier}:{row.indicator_code}"
            for row in indicators.itertuples()
            for tier in row.tiers.split("|")
        ]
        return {
            "known_units": sorted(self.reference.units.unit_code),
            "known_evaluators": sorted(self.reference.evaluators.evaluator_code),
            "known_periods": sorted(self.settings.periods),
            "indicator_codes": sorted(indicators.indicator_code),
            "reportable_keys": sorted(reportable),
            "template_versions": list(self.settings.template_versions),
            "change_warning_ratio": self.settings.change_warning_ratio,
        }

    def run(self, suite_name: str, frame: pd.DataFrame):
        """Run one suite on a frame; returns the GX validation result (kept, and rendered into
        Data Docs, when there is a docs_dir)."""
        import great_expectations as gx

        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}
        source = self.context.data_sources.add_or_update_pandas(suite_name)
        asset = source.add_dataframe_asset(name="returns")
        batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        if self.docs_dir is None:
            return batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
                self.suite(suite_name), expectation_parameters=self.parameters, result_format=result_format
            )
        suite = self.context.suites.add_or_update(self.suite(suite_name))
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[definition],
                result_format=result_format,
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=self.parameters)
        return next(iter(outcome.run_results.values()))


def issues(result, frame: pd.DataFrame) -> dict[int, list[Issue]]:
    """Failing rows of a GX result as Issues, per file key (file-level rules once per file)."""
    found: dict[int, list[Issue]] = {}
    seen_file_rules: set[tuple[int, str]] = set()
    records = frame.to_dict("index") if not result.success else {}
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        meta = config.meta
        column = config.kwargs.get("column") or config.kwargs.get("column_A") or "indicator_code"
        file_level = meta["scope"] == "file"
        for hit in outcome.result.get("unexpected_index_list") or []:
            row = records[hit["row_id"]]
            key = int(row["file_key"])
            if file_level:
                if (key, meta["rule"]) in seen_file_rules:
                    continue
                seen_file_rules.add((key, meta["rule"]))
            fields = {k: _blank_if_missing(v) for k, v in row.items()}
            found.setdefault(key, []).append(
                Issue(
                    rule=meta["rule"],
                    severity=meta["severity"],
                    message_zh=meta["message_zh"].format(**fields),
                    fix_zh=meta["fix_zh"].format(**fields),
                    sheet=row["sheet"],
                    source_row=None if file_level or fields["source_row"] == "" else int(row["source_row"]),
                    column_name=None if file_level else meta["column_zh"],
                    value_seen=str(fields.get(_SEEN_COLUMN.get(column, column), "")),
                )
            )
    return found


def _blank_if_missing(value: object) -> object:
    """Missing cells (None, NA, NaN) as '' and whole numbers as integers (52, not 52.0) for messages."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return int(value) if isinstance(value, float) and value.is_integer() else value
