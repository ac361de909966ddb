"""Validating parsed returns with the Great Expectations suites built from the rule catalogue.

All returns of one type in a batch are validated together in one GX run (one frame, one row per
data row, tagged with its file), and each failing row is mapped back to its file, sheet and row.
Blocking suites decide the verdict; the warnings suite then runs on the accepted returns only,
comparing each value with the unit's last accepted value (history plus earlier returns of the batch).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.parse import ParsedReturn
from orchestration.returns.rules import Catalogue, catalogue
from orchestration.returns.settings import ValidationSettings
from orchestration.returns.values import normalise_name, normalise_period

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SUITE_FOR_TYPE = catalogue().suite_for_kind
WARNINGS_SUITE = catalogue().warnings_suite
HISTORY_COLUMNS = ["unit_code", "period", "indicator_code", "value"]

# Which frame column a failing expectation points at -> the frame column holding what the clerk typed.
_SEEN_COLUMN = {"value": "value_text", "reportable_key": "indicator_code", "submitter_code": "submitter_text",
                "unit_code": "unit_text", "period": "period_text", "period_status": "period_text",
                "placeholder": "value_text", "value_fraction": "value_text", "change_ratio": "value_text",
                "whole_value": "value_text", "file_name_code": "file_name", "file_name_period": "file_name",
                "days_late": "landed_on", "identical_to_previous": "period"}
_NAME_TOKEN = re.compile(r"[0-9A-Za-z]+")
_NAME_PERIOD = re.compile(r"(?<![0-9A-Za-z])(\d{4}Q[1-4])(?![0-9A-Za-z])", re.IGNORECASE)


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
    flagged_returns: int
    result: object = field(default=None, repr=False)  # the GX validation result


def period_index(period: str) -> int | None:
    """'2024Q3' -> a number that grows by one per quarter; None if not a quarter."""
    return int(period[:4]) * 4 + int(period[5]) - 1 if re.fullmatch(r"\d{4}Q[1-4]", period or "") else None


class ReturnValidator:
    """Validates batches of parsed returns against the reference data and the GX suites."""

    def __init__(self, reference: Reference, settings: ValidationSettings | None = None,
                 rules: Catalogue | None = None, docs_dir: Path | None = None) -> None:
        """`docs_dir`: keep each run's results and build GX Data Docs there (the pipeline does);
        None validates in memory only (`wuxing validate`)."""
        self.reference = reference
        self.settings = settings or ValidationSettings.load(seeds_dir=reference.seeds_dir)
        self.rules = rules or catalogue()
        self.docs_dir = docs_dir
        self._required_cache: dict[tuple[str | None, str], list[str]] = {}

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

    @property
    def docs_index(self) -> Path | None:
        """The Data Docs front page, once built."""
        if self.docs_dir is None:
            return None
        index = self.docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        return index if index.exists() else None

    def suite(self, name: str):
        """A suite built from the rule catalogue."""
        import great_expectations as gx

        spec = self.rules.suite(name)
        return gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"], meta=spec["meta"])

    @cached_property
    def parameters(self) -> dict[str, object]:
        """Values the suites' $PARAMETERs take: registries, periods, who reports what, thresholds."""
        indicators = self.reference.indicators
        reportable = [f"{row.source}:{tier}:{row.indicator_code}"
                      for row in indicators.itertuples() for tier in row.tiers.split("|")]
        return {
            "known_units": sorted(self.reference.units.unit_code),
            "known_evaluators": sorted(self.reference.evaluators.evaluator_code),
            "known_periods": sorted(self.settings.periods),
            "indicator_codes": sorted(indicators.indicator_code),
            "reportable_keys": sorted(reportable),
            "template_versions": list(self.settings.template_versions),
            "change_warning_ratio": self.settings.change_warning_ratio,
        }

    def _resolve(self, text: str) -> str:
        """A unit or evaluator as typed -> its code (or the cleaned text if unknown)."""
        name = normalise_name(text)
        return self.reference.name_to_code.get(name, name)

    def _name_code(self, file_name: str) -> str | None:
        """The first unit or evaluator code in a file name (a date or serial in front is skipped)."""
        codes = self.parameters["known_units"] + self.parameters["known_evaluators"]
        return next((t for t in _NAME_TOKEN.findall(file_name) if t.upper() in codes), None)

    def _identity(self, parsed: ParsedReturn) -> tuple[str, str]:
        """Submitter code and period of a return: from its content first, from its file name second."""
        name_period = _NAME_PERIOD.search(parsed.file_name)
        submitter = self._resolve(parsed.submitter_text) or (self._name_code(parsed.file_name) or "").upper()
        period = (normalise_period(parsed.period_text) or parsed.period_text
                  or (name_period.group(1).upper() if name_period else ""))
        return submitter, period

    def _frame(self, items: list[tuple[int, ParsedReturn, date]],
               prior: set[tuple[str, str]] | None = None) -> pd.DataFrame:
        """One row per data row of every return in `items` (plus one per missing required
        indicator of a unit return that is the first for its unit and period; `prior` holds the
        (unit, period) pairs reported before), tagged with its file and the reference facts."""
        ref = self.reference
        prior = prior or set()
        records: list[dict[str, object]] = []
        for key, parsed, landed in items:
            submitter, period = self._identity(parsed)
            name_code = self._name_code(parsed.file_name)
            name_period = _NAME_PERIOD.search(parsed.file_name)
            tags = {"file_key": key, "file_name": parsed.file_name, "sheet": parsed.sheet,
                    "submitter_text": parsed.submitter_text, "submitter_code": submitter,
                    "period_text": parsed.period_text, "period": period,
                    "period_status": self.settings.period_status(period, landed),
                    "template_version": parsed.template_version, "landed_on": landed.isoformat(),
                    "file_name_code": name_code.upper() if name_code else None,
                    "file_name_period": name_period.group(1).upper() if name_period else None}
            rows = parsed.rows
            if parsed.return_type == layout.RETURN_TYPE_UNIT:
                tags |= {"unit_text": parsed.submitter_text, "unit_code": submitter, "source": "self"}
                tier = ref.unit_tier.get(submitter)
                present = {row["indicator_code"] for row in rows}
                # A later return of a unit that already reported the period may carry only the values it
                # corrects: the rest stay as reported (supersession is per value), so none is missing.
                required = [] if (submitter, period) in prior else self._required(tier, period)
                rows = rows + [{"source_row": None, "indicator_code": code, "value_text": "", "value": None,
                                "placeholder": False, "withdrawn": False, "formula": ""}
                               for code in required if code not in present]
                prior.add((submitter, period))
            else:
                tags |= {"unit_code": None, "source": submitter}
            records += [row | tags for row in rows]
        frame = pd.DataFrame.from_records(records)
        if frame.unit_code.isna().any():
            frame["unit_code"] = frame.unit_code.fillna(frame.unit_text.map(self._resolve))
        frame = frame.merge(self._facts, on="indicator_code", how="left")
        frame["value"] = frame.value.astype(float)
        frame["unit_tier"] = frame.unit_code.map(ref.unit_tier)
        frame["withdrawn"] = frame.withdrawn.fillna(False).astype(bool)
        frame["formula"] = frame.formula.fillna("")
        frame["expected_zh"] = [_expected(t, na, f) for t, na, f in
                                zip(frame.value_type, frame.allow_na, frame.formula)]
        frame["is_na"] = frame.placeholder.astype(bool) & (frame.allow_na == "true")
        frame["reportable_key"] = (frame.source + ":" + frame.unit_tier.fillna("") + ":"
                                   + frame.indicator_code)
        frame["value_fraction"] = frame.value - np.floor(frame.value)
        frame = self._with_wholes(frame)
        frame["source_row"] = frame.source_row.astype("Int64")
        frame["row_id"] = frame.index
        return frame

    def _with_wholes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add, on each part row of a part <= whole pair, the whole's value from the same return."""
        frame["whole_code"] = frame.indicator_code.map(dict(self.settings.part_whole)).astype(frame.indicator_code.dtype)
        wholes = frame[["file_key", "unit_code", "indicator_code", "value"]].drop_duplicates(
            ["file_key", "unit_code", "indicator_code"]).rename(
            columns={"indicator_code": "whole_code", "value": "whole_value"})
        return frame.merge(wholes, on=["file_key", "unit_code", "whole_code"], how="left")

    def _required(self, tier: str | None, period: str) -> list[str]:
        """Self-reported indicators a unit return of the tier and period must contain (annual-only
        indicators in the Q4 return only)."""
        key = (tier, period)
        if key not in self._required_cache:
            self._required_cache[key] = [] if tier is None else list(
                self.reference.indicators_for(tier, "self", period).query("required == 'true'").indicator_code)
        return self._required_cache[key]

    @cached_property
    def _facts(self) -> pd.DataFrame:
        """Per indicator: kind, name, unit of measure, value type and whether 不适用 is allowed."""
        return self.reference.indicators[["indicator_code", "kind", "indicator_name_zh", "unit_of_measure",
                                          "value_type", "allow_na"]].rename(
            columns={"indicator_name_zh": "indicator_name", "unit_of_measure": "uom"})

    def run_suite(self, suite_name: str, frame: pd.DataFrame):
        """Run one stored suite on a frame; returns the GX validation result (kept, and rendered
        into Data Docs, when there is a docs_dir)."""
        import great_expectations as gx

        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}
        source = self.context.data_sources.add_or_update_pandas(suite_name)
        asset = source.add_dataframe_asset(name="returns")
        batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        if self.docs_dir is None:
            return batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
                self.suite(suite_name), expectation_parameters=self.parameters, result_format=result_format)
        suite = self.context.suites.add_or_update(self.suite(suite_name))
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))
        checkpoint = self.context.checkpoints.add_or_update(gx.Checkpoint(
            name=suite_name, validation_definitions=[definition], result_format=result_format,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")]))
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=self.parameters)
        return next(iter(outcome.run_results.values()))

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
            column = config.kwargs.get("column") or config.kwargs.get("column_A") or "indicator_code"
            for hit in outcome.result.get("unexpected_index_list") or []:
                row = records[hit["row_id"]]
                key = int(row["file_key"])
                if meta["scope"] == "file":
                    if (key, meta["rule"]) in seen_file_rules:
                        continue
                    seen_file_rules.add((key, meta["rule"]))
                fields = {k: _blank_if_missing(v) for k, v in row.items()}
                file_level = meta["scope"] == "file"
                found.setdefault(key, []).append(Issue(
                    rule=meta["rule"],
                    severity=meta["severity"],
                    message_zh=meta["message_zh"].format(**fields),
                    fix_zh=meta["fix_zh"].format(**fields),
                    sheet=row["sheet"],
                    source_row=None if file_level or fields["source_row"] == "" else int(row["source_row"]),
                    column_name=None if file_level else meta["column_zh"],
                    value_seen=str(fields.get(_SEEN_COLUMN.get(column, column), "")),
                ))
        return found

    def _warning_frame(self, accepted: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
        """Accepted rows with the unit's last accepted value before that period, and per-file facts."""
        frame = accepted[accepted.source_row.notna() & accepted.value.notna()].copy()
        frame["order"] = frame.file_key + 1
        candidates = pd.concat([history.assign(order=0), frame[HISTORY_COLUMNS + ["order"]]],
                               ignore_index=True).dropna(subset=["value"])
        candidates["period_no"] = candidates.period.map(period_index)
        candidates = (candidates.dropna(subset=["period_no"]).sort_values("order")
                      .drop_duplicates(["unit_code", "period", "indicator_code"], keep="last")
                      .rename(columns={"value": "baseline", "period": "baseline_period"})
                      [["unit_code", "indicator_code", "period_no", "baseline", "baseline_period"]])
        frame["period_no"] = frame.period.map(period_index)
        frame = frame.dropna(subset=["period_no"])
        keys = {"period_no": "int64", "unit_code": "str", "indicator_code": "str"}
        frame = pd.merge_asof(frame.astype(keys).sort_values("period_no"),
                              candidates.astype(keys).sort_values("period_no"),
                              on="period_no", by=["unit_code", "indicator_code"], allow_exact_matches=False)
        floor = np.where(frame.value_type == "count", self.settings.change_warning_count_floor, 1e-9)
        frame["change_ratio"] = (frame.value - frame.baseline).abs() / frame.baseline.abs().clip(
            lower=pd.Series(floor, index=frame.index))
        previous = frame.baseline_period.map(lambda p: period_index(p) if isinstance(p, str) else None)
        same = (previous == frame.period_no - 1) & (frame.value == frame.baseline)
        frame["identical_to_previous"] = same.groupby(frame.file_key).transform("all")
        deadlines = {p: v.deadline for p, v in self.settings.periods.items()}
        frame["days_late"] = [(date.fromisoformat(landed) - deadlines[p]).days if p in deadlines else 0
                              for landed, p in zip(frame.landed_on, frame.period)]
        frame = frame.sort_values("row_id").reset_index(drop=True)
        frame["row_id"] = frame.index
        return frame

    def validate(self, parsed: list[ParsedReturn], landed: list[date],
                 history: pd.DataFrame | None = None,
                 reported: set[tuple[str, str]] | None = None) -> tuple[list[Verdict], list[SuiteRun]]:
        """Verdicts for a batch of parsed returns (same order; `landed` is the day each file landed)
        and a summary per suite run. `history` holds earlier accepted values (HISTORY_COLUMNS);
        `reported` the (submitter, period) pairs with an earlier accepted return."""
        by_type: dict[str, list[tuple[int, ParsedReturn, date]]] = {}
        for key, (item, day) in enumerate(zip(parsed, landed)):
            if not item.issues:
                by_type.setdefault(item.return_type, []).append((key, item, day))
        issues: dict[int, list[Issue]] = {}
        frames: list[pd.DataFrame] = []
        runs: list[SuiteRun] = []

        def run(suite_name: str, frame: pd.DataFrame) -> None:
            result = self.run_suite(suite_name, frame)
            found = self._issues(result, frame)
            for key, found_issues in found.items():
                issues.setdefault(key, []).extend(found_issues)
            runs.append(SuiteRun(
                suite=suite_name, returns=frame.file_key.nunique(), rows=len(frame),
                expectations=len(result.results),
                failed_expectations=sorted({r.expectation_config.meta["rule"] for r in result.results
                                            if not r.success}),
                flagged_returns=len(found), result=result))

        for return_type, items in by_type.items():
            frame = self._frame(items, reported)
            run(SUITE_FOR_TYPE[return_type], frame)
            frames.append(frame)
        everything = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        rejected = {k for k, v in issues.items() if any(i.severity == ERROR for i in v)}
        if frames:
            accepted = everything[~everything.file_key.isin(rejected)]
            warnings = self._warning_frame(accepted, history if history is not None
                                           else pd.DataFrame(columns=HISTORY_COLUMNS))
            if len(warnings):
                run(WARNINGS_SUITE, warnings)
        rows_by_file = dict(iter(everything[everything.source_row.notna()].groupby("file_key", sort=False))) \
            if frames else {}
        identities = [self._identity(item) for item in parsed]
        return [Verdict(
            return_type=item.return_type,
            submitter_code=identities[key][0] or None,
            period=identities[key][1] or None,
            values=_values(rows_by_file.get(key)),
            issues=item.issues + sorted(item.notes + issues.get(key, []), key=_issue_order),
        ) for key, item in enumerate(parsed)], runs


def _expected(value_type: object, allow_na: object, formula: str) -> str:
    """What to write in a value cell of this type (the fix of not_a_number), in Chinese."""
    known = catalogue().value_types.get(value_type if isinstance(value_type, str) else "")
    text = known["expected_zh"] if known else "请填写阿拉伯数字"
    if allow_na == "true":
        text += "；确实不适用的填“不适用”"
    text += "；说明、附件等内容请写在“备注”列，本列只填数字"
    if formula:
        text = (f"该单元格是公式「{formula}」，文件中没有保存计算结果（常见于用程序生成或未重新计算的文件）："
                f"请在 Excel 或 WPS 中打开、确认显示出数值后保存，或直接填写数值。{text}")
    return text


def _blank_if_missing(value: object) -> object:
    """Missing cells (None, NA, NaN) as '' and whole numbers as integers (52, not 52.0) for messages."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _issue_order(issue: Issue) -> tuple[int, int, str]:
    """Blocking problems first, file-level before rows, then by row."""
    return (issue.severity != ERROR, issue.source_row or 0, issue.rule)


def _values(rows: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of one return as raw.return_values columns (sha256 added by the recorder)."""
    columns = ["unit_code", "period", "indicator_code", "value", "value_text", "is_na", "sheet", "source_row"]
    if rows is None:
        return pd.DataFrame(columns=columns + ["is_withdrawn"])
    out = rows[columns].copy()
    out["is_withdrawn"] = rows.withdrawn.astype(bool)
    out.loc[out.is_na | out.is_withdrawn, "value"] = None
    return out.reset_index(drop=True)
