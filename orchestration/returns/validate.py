"""Validating parsed returns with the Great Expectations suites in `expectations/`.

All returns of one type in a batch are validated together in one GX run (one frame, one row per
data row, tagged with its file), and each failing row is mapped back to its file, sheet and row.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from orchestration.paths import EXPECTATIONS_DIR
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.parse import ParsedReturn
from orchestration.returns.values import normalise_name, normalise_period

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SUITE_FOR_TYPE = {layout.RETURN_TYPE_UNIT: "unit_return", layout.RETURN_TYPE_EVALUATION: "evaluation_return"}
FIRST_PERIOD_YEAR = 2018

# Which frame column a failing expectation points at -> the frame column holding what the clerk typed.
_SEEN_COLUMN = {"value": "value_text", "reportable_key": "indicator_code", "submitter_code": "submitter_text",
                "unit_code": "unit_text", "period": "period_text"}


@dataclass
class Verdict:
    """The outcome for one return: who and when it is for, its values and every problem found."""

    return_type: str | None
    submitter_code: str | None
    period: str | None
    values: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'rejected' if any blocking problem was found, else 'accepted'."""
        return "rejected" if any(i.severity == ERROR for i in self.issues) else "accepted"


@dataclass
class SuiteRun:
    """Summary of one suite's run over a batch, for asset checks and Data Docs."""

    suite: str
    returns: int
    rows: int
    expectations: int
    failed_expectations: list[str]
    rejected_returns: int


def open_periods(today: date) -> list[str]:
    """Quarters that can be reported: from 2018Q1 up to and including the current quarter."""
    current = (today.year, (today.month - 1) // 3 + 1)
    return [f"{y}Q{q}" for y in range(FIRST_PERIOD_YEAR, today.year + 1) for q in range(1, 5)
            if (y, q) <= current]


class ReturnValidator:
    """Validates batches of parsed returns against the reference data and the GX suites."""

    def __init__(self, reference: Reference, today: date | None = None,
                 expectations_dir: Path = EXPECTATIONS_DIR) -> None:
        self.reference = reference
        self.today = today or date.today()
        self.expectations_dir = expectations_dir

    @cached_property
    def _context(self):
        """An ephemeral GX context with a pandas datasource and progress bars off."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        return context

    def suite(self, name: str):
        """Load a stored suite from `expectations/<name>.json`."""
        import great_expectations as gx

        spec = json.loads((self.expectations_dir / f"{name}.json").read_text(encoding="utf-8"))
        return gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"], meta=spec["meta"])

    @cached_property
    def parameters(self) -> dict[str, list[str]]:
        """Values the suites' $PARAMETERs take: registries, open periods, who reports what."""
        indicators = self.reference.indicators
        reportable = [f"{row.source}:{tier}:{row.indicator_code}"
                      for row in indicators.itertuples() for tier in row.tiers.split("|")]
        return {
            "known_units": sorted(self.reference.units.unit_code),
            "known_evaluators": sorted(self.reference.evaluators.evaluator_code),
            "open_periods": open_periods(self.today),
            "indicator_codes": sorted(indicators.indicator_code),
            "reportable_keys": sorted(reportable),
        }

    def _resolve(self, text: str) -> str:
        """A unit or evaluator as typed -> its code (or the cleaned text if unknown)."""
        name = normalise_name(text)
        return self.reference.name_to_code.get(name, name)

    def _frame(self, items: list[tuple[int, ParsedReturn]]) -> pd.DataFrame:
        """One row per data row of every return in `items` (plus one per missing required
        indicator of a unit return), tagged with its file and the reference facts the suites check."""
        ref = self.reference
        records: list[dict[str, object]] = []
        for key, parsed in items:
            submitter = self._resolve(parsed.submitter_text)
            tags = {"file_key": key, "sheet": parsed.sheet, "submitter_text": parsed.submitter_text,
                    "submitter_code": submitter, "period_text": parsed.period_text,
                    "period": normalise_period(parsed.period_text) or parsed.period_text}
            rows = parsed.rows
            if parsed.return_type == layout.RETURN_TYPE_UNIT:
                tags |= {"unit_text": parsed.submitter_text, "unit_code": submitter, "source": "self"}
                tier = ref.unit_tier.get(submitter)
                present = {row["indicator_code"] for row in rows}
                rows = rows + [{"source_row": None, "indicator_code": code, "value_text": "", "value": None,
                                "placeholder": False}
                               for code in self._required.get(tier, []) if code not in present]
            else:
                tags |= {"unit_code": None, "source": submitter}
            records += [row | tags for row in rows]
        frame = pd.DataFrame.from_records(records)
        if frame.unit_code.isna().any():
            frame["unit_code"] = frame.unit_code.fillna(frame.unit_text.map(self._resolve))
        frame = frame.merge(self._facts, on="indicator_code", how="left")
        frame["unit_tier"] = frame.unit_code.map(ref.unit_tier)
        frame["is_na"] = frame.placeholder.astype(bool) & (frame.allow_na == "true")
        frame["reportable_key"] = (frame.source + ":" + frame.unit_tier.fillna("") + ":"
                                   + frame.indicator_code)
        frame["source_row"] = frame.source_row.astype("Int64")
        frame["row_id"] = frame.index
        return frame

    @cached_property
    def _required(self) -> dict[str, list[str]]:
        """tier -> self-reported indicators a unit return must contain."""
        return {tier: list(self.reference.indicators_for(tier).query("required == 'true'").indicator_code)
                for tier in set(self.reference.unit_tier.values())}

    @cached_property
    def _facts(self) -> pd.DataFrame:
        """Per indicator: name, unit of measure, value type and whether 不适用 is allowed."""
        return self.reference.indicators[["indicator_code", "indicator_name_zh", "unit_of_measure",
                                          "value_type", "allow_na"]].rename(
            columns={"indicator_name_zh": "indicator_name", "unit_of_measure": "uom"})

    def _run_suite(self, suite_name: str, frame: pd.DataFrame):
        """Run one stored suite on a frame; returns the GX validation result."""
        context = self._context
        source = context.data_sources.add_or_update_pandas(suite_name)
        asset = source.add_dataframe_asset(name="returns")
        batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(
            batch_parameters={"dataframe": frame})
        return batch.validate(
            self.suite(suite_name),
            expectation_parameters=self.parameters,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]},
        )

    def _issues(self, result, frame: pd.DataFrame) -> dict[int, list[Issue]]:
        """Failing rows of a GX result as Issues, per file key (file-level rules once per file)."""
        found: dict[int, list[Issue]] = {}
        seen_file_rules: set[tuple[int, str]] = set()
        records = frame.to_dict("index") if not result.success else {}
        for outcome in result.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            meta = config.meta
            column = config.kwargs.get("column") or "indicator_code"
            for hit in outcome.result.get("unexpected_index_list") or []:
                row = records[hit["row_id"]]
                key = int(row["file_key"])
                if meta["scope"] == "file":
                    if (key, meta["rule"]) in seen_file_rules:
                        continue
                    seen_file_rules.add((key, meta["rule"]))
                fields = {k: ("" if v is None or v is pd.NA or v != v else v) for k, v in row.items()}
                found.setdefault(key, []).append(Issue(
                    rule=meta["rule"],
                    severity=meta["severity"],
                    message_zh=meta["message_zh"].format(**fields),
                    fix_zh=meta["fix_zh"],
                    sheet=row["sheet"],
                    source_row=None if meta["scope"] == "file" or fields["source_row"] == "" else int(row["source_row"]),
                    column_name=meta["column_zh"],
                    value_seen=str(fields.get(_SEEN_COLUMN.get(column, column), "")),
                ))
        return found

    def validate(self, parsed: list[ParsedReturn]) -> tuple[list[Verdict], list[SuiteRun]]:
        """Verdicts for a batch of parsed returns (same order), and a summary per suite run."""
        by_type: dict[str, list[tuple[int, ParsedReturn]]] = {}
        for key, item in enumerate(parsed):
            if not item.issues:
                by_type.setdefault(item.return_type, []).append((key, item))
        issues: dict[int, list[Issue]] = {}
        rows_by_file: dict[int, pd.DataFrame] = {}
        runs: list[SuiteRun] = []
        for return_type, items in by_type.items():
            frame = self._frame(items)
            suite_name = SUITE_FOR_TYPE[return_type]
            result = self._run_suite(suite_name, frame)
            found = self._issues(result, frame)
            for key, found_issues in found.items():
                issues.setdefault(key, []).extend(found_issues)
            rows_by_file |= dict(iter(frame[frame.source_row.notna()].groupby("file_key", sort=False)))
            runs.append(SuiteRun(
                suite=suite_name, returns=len(items), rows=len(frame), expectations=len(result.results),
                failed_expectations=sorted({r.expectation_config.meta["rule"] for r in result.results
                                            if not r.success}),
                rejected_returns=sum(1 for v in found.values() if any(i.severity == ERROR for i in v)),
            ))
        return [Verdict(
            return_type=item.return_type,
            submitter_code=self._resolve(item.submitter_text) or None,
            period=normalise_period(item.period_text) or item.period_text or None,
            values=_values(rows_by_file.get(key)),
            issues=item.issues + sorted(issues.get(key, []), key=_issue_order),
        ) for key, item in enumerate(parsed)], runs


def _issue_order(issue: Issue) -> tuple[int, str]:
    """File-level problems first, then by row."""
    return (issue.source_row or 0, issue.rule)


def _values(rows: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of one return as raw.return_values columns (sha256 added by the recorder)."""
    columns = ["unit_code", "period", "indicator_code", "value", "value_text", "is_na", "sheet", "source_row"]
    if rows is None:
        return pd.DataFrame(columns=columns)
    out = rows[columns].copy()
    out.loc[out.is_na, "value"] = None
    return out.reset_index(drop=True)
