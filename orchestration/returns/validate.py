"""Validating parsed returns with the Great Expectations suites built from the rule catalogue.

All returns of one type in a batch are validated together in one GX run (one frame, one row per
data row, tagged with its file), and each failing row is mapped back to its file, sheet and row.
Blocking suites decide the verdict; the warnings suite then runs on the accepted returns only,
comparing each value with the unit's last accepted value (history plus earlier returns of the batch).
The parts: identify.py (who and when), frame.py and baseline.py (what is checked), check.py (GX).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.reference import Reference
from orchestration.returns import check
from orchestration.returns.baseline import HISTORY_COLUMNS, warning_frame
from orchestration.returns.check import SuiteChecker
from orchestration.returns.frame import FrameBuilder
from orchestration.returns.identify import Identifier
from orchestration.returns.issues import ERROR, Issue
from orchestration.returns.parse import ParsedReturn
from orchestration.returns.rules import Catalogue, catalogue
from orchestration.returns.settings import ValidationSettings

SUITE_FOR_TYPE = catalogue().suite_for_kind
WARNINGS_SUITE = catalogue().warnings_suite
__all__ = ["HISTORY_COLUMNS", "ReturnValidator", "SuiteRun", "Verdict"]


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


class ReturnValidator:
    """Validates batches of parsed returns: identify each, check the batch, then warn on the accepted."""

    def __init__(
        self,
        reference: Reference,
        settings: ValidationSettings | None = None,
        rules: Catalogue | None = None,
        docs_dir: Path | None = None,
    ) -> None:
        """`docs_dir`: keep each run's results and build GX Data Docs there (the pipeline does);
        None validates in memory only (`wuxing validate`)."""
        self.reference = reference
        self.settings = settings or ValidationSettings.load(seeds_dir=reference.seeds_dir)
        self.rules = rules or catalogue()
        self.identifier = Identifier(reference)
        self.frames = FrameBuilder(reference, self.settings, self.identifier)
        self.checker = SuiteChecker(reference, self.settings, self.rules, docs_dir)

    @property
    def context(self):
        """The GX context the suites run in."""
        return self.checker.context

    @property
    def docs_index(self) -> Path | None:
        """The Data Docs front page, once built."""
        if self.checker.docs_dir is None:
            return None
        index = self.checker.docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        return index if index.exists() else None

    def suite(self, name: str):
        """A GX suite built from the rule catalogue."""
        return self.checker.suite(name)

    def validate(
        self,
        parsed: list[ParsedReturn],
        landed: list[date],
        history: pd.DataFrame | None = None,
        reported: set[tuple[str, str]] | None = None,
    ) -> tuple[list[Verdict], list[SuiteRun]]:
        """Verdicts for a batch of parsed returns (same order; `landed` is the day each file landed)
        and a summary per suite run. `history` holds earlier accepted values (HISTORY_COLUMNS);
        `reported` the (submitter, period) pairs with an earlier accepted return."""
        by_type: dict[str, list[tuple[int, ParsedReturn, date]]] = {}
        for key, (item, day) in enumerate(zip(parsed, landed)):
            if not item.issues:
                by_type.setdefault(item.return_type, []).append((key, item, day))
        issues: dict[int, list[Issue]] = {}
        runs: list[SuiteRun] = []
        frames = [self.frames.frame(items, reported) for items in by_type.values()]
        for return_type, frame in zip(by_type, frames):
            runs.append(self._run(SUITE_FOR_TYPE[return_type], frame, issues))
        everything = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if frames:
            rejected = {k for k, v in issues.items() if any(i.severity == ERROR for i in v)}
            warnings = warning_frame(
                everything[~everything.file_key.isin(rejected)],
                history if history is not None else pd.DataFrame(columns=HISTORY_COLUMNS),
                self.settings,
            )
            if len(warnings):
                runs.append(self._run(WARNINGS_SUITE, warnings, issues))
        return self._verdicts(parsed, everything, issues), runs

    def _run(self, suite_name: str, frame: pd.DataFrame, issues: dict[int, list[Issue]]) -> SuiteRun:
        """Run one suite, add its issues per file key, and summarise the run."""
        result = self.checker.run(suite_name, frame)
        found = check.issues(result, frame)
        for key, found_issues in found.items():
            issues.setdefault(key, []).extend(found_issues)
        return SuiteRun(
            suite=suite_name,
            returns=frame.file_key.nunique(),
            rows=len(frame),
            expectations=len(result.results),
            failed_expectations=sorted({r.expectation_config.meta["rule"] for r in result.results if not r.success}),
            flagged_returns=len(found),
            result=result,
        )

    def _verdicts(
        self, parsed: list[ParsedReturn], everything: pd.DataFrame, issues: dict[int, list[Issue]]
    ) -> list[Verdict]:
        """One verdict per parsed return: its identity, values and issues in notice order."""
        rows_by_file = (
            dict(iter(everything[everything.source_row.notna()].groupby("file_key", sort=False)))
            if len(everything)
            else {}
        )
        verdicts = []
        for key, item in enumerate(parsed):
            submitter, period = self.identifier.identity(item)
            verdicts.append(
                Verdict(
                    return_type=item.return_type,
                    submitter_code=submitter or None,
                    period=period or None,
                    values=_values(rows_by_file.get(key)),
                    issues=item.issues + sorted(item.notes + issues.get(key, []), key=_issue_order),
                )
            )
        return verdicts


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
