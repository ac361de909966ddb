"""Identifying a return: who sent it and for which period, from its content first and its file
name second."""

from __future__ import annotations

import re
from functools import cached_property

from orchestration.reference import Reference
from orchestration.returns.parse import ParsedReturn
from orchestration.returns.values import normalise_name, normalise_period

_NAME_TOKEN = re.compile(r"[0-9A-Za-z]+")
_NAME_PERIOD = re.compile(r"(?<![0-9A-Za-z])(\d{4}Q[1-4])(?![0-9A-Za-z])", re.IGNORECASE)


class Identifier:
    """Resolves submitters and periods against the reference data."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference

    @cached_property
    def _codes(self) -> set[str]:
        return set(self.reference.units.unit_code) | set(self.reference.evaluators.evaluator_code)

    def resolve(self, text: str) -> str:
        """A unit or evaluator as typed -> its code (or the cleaned text if unknown)."""
        name = normalise_name(text)
        return self.reference.name_to_code.get(name, name)

    def name_code(self, file_name: str) -> str | None:
        """The first unit or evaluator code in a file name (a date or serial in front is skipped)."""
        return next((t for t in _NAME_TOKEN.findall(file_name) if t.upper() in self._codes), None)

    @staticmethod
    def name_period(file_name: str) -> str | None:
        """The quarter written in a file name ('2024Q4'), if any."""
        found = _NAME_PERIOD.search(file_name)
        return found.group(1).upper() if found else None

    def identity(self, parsed: ParsedReturn) -> tuple[str, str]:
        """Submitter code and period of a return: from its content first, from its file name second."""
        submitter = self.resolve(parsed.submitter_text) or (self.name_code(parsed.file_name) or "").upper()
        period = normalise_period(parsed.period_text) or parsed.period_text or self.name_period(parsed.file_name) or ""
        return submitter, period
