"""The return-rule catalogue (expectations/return_rules.yaml): the GX suites, the template's limits
and the notice wording are all built from it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from orchestration.paths import EXPECTATIONS_DIR
from orchestration.returns.issues import ERROR, WARNING, Issue

CATALOGUE_FILE = "return_rules.yaml"
ALL_KINDS = "all"
_GX_SEVERITY = {ERROR: "critical", WARNING: "warning"}
# Checks on these frame columns, limited to value types, are the template's data validation.
_VALUE_COLUMNS = ("value", "value_fraction")


@dataclass(frozen=True)
class Rule:
    """One catalogue entry: where it applies, how bad it is, what the notice says, how GX checks it."""

    id: str
    rule: str
    return_kinds: tuple[str, ...] | str
    severity: str
    scope: str
    message_zh: str
    fix_zh: str
    column_zh: str | None = None
    expect: str | None = None
    kwargs: dict | None = None
    value_types: tuple[str, ...] = ()

    def applies_to(self, kind: str) -> bool:
        """True if the rule checks returns of this kind."""
        return self.return_kinds == ALL_KINDS or kind in self.return_kinds

    def expectation(self) -> dict[str, object]:
        """The GX expectation of the rule (its value_types become a row condition)."""
        kwargs = dict(self.kwargs or {})
        if self.value_types:
            types = list(self.value_types)
            by_type = {
                "type": "comparison",
                "column": {"name": "value_type"},
                "operator": "==" if len(types) == 1 else "IN",
                "parameter": types[0] if len(types) == 1 else types,
            }
            given = kwargs.get("row_condition")
            kwargs["row_condition"] = by_type if given is None else {"type": "and", "conditions": [given, by_type]}
        meta = {
            "rule": self.rule,
            "severity": self.severity,
            "scope": self.scope,
            "column_zh": self.column_zh,
            "message_zh": self.message_zh,
            "fix_zh": self.fix_zh,
        }
        return {"type": self.expect, "kwargs": kwargs, "meta": meta, "severity": _GX_SEVERITY[self.severity]}


@dataclass(frozen=True)
class Limits:
    """What a value of one type may be, as the template's data validation enforces it."""

    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False
    one_of: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Catalogue:
    """All return rules, the suites they form and the wording per value type."""

    rules: tuple[Rule, ...]
    suites: dict[str, dict[str, str]]
    value_types: dict[str, dict[str, str]]

    @classmethod
    def load(cls, path: Path = EXPECTATIONS_DIR / CATALOGUE_FILE) -> Catalogue:
        """Read and check the catalogue file."""
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = tuple(
            Rule(
                **{
                    **entry,
                    "rule": entry.get("rule", entry["id"]),
                    "return_kinds": (
                        entry["return_kinds"] if entry["return_kinds"] == ALL_KINDS else tuple(entry["return_kinds"])
                    ),
                    "value_types": tuple(entry.get("value_types", ())),
                }
            )
            for entry in spec["rules"]
        )
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{path.name}: duplicate rule ids")
        return cls(rules=rules, suites=spec["suites"], value_types=spec["value_types"])

    def rule(self, rule_id: str) -> Rule:
        """The entry with this id."""
        return next(r for r in self.rules if r.id == rule_id)

    def issue(self, rule_id: str, **fields: object) -> Issue:
        """An Issue of a read-time rule, its wording filled in with `fields` (sheet, source_row and
        value_seen pass through to the Issue)."""
        rule = self.rule(rule_id)
        where = {k: fields.pop(k) for k in ("sheet", "source_row", "value_seen") if k in fields}
        return Issue(rule.rule, rule.severity, rule.message_zh.format(**fields), rule.fix_zh.format(**fields), **where)

    @property
    def suite_for_kind(self) -> dict[str, str]:
        """Return kind -> the name of its blocking suite."""
        return {spec["return_kind"]: name for name, spec in self.suites.items() if "return_kind" in spec}

    @property
    def warnings_suite(self) -> str:
        """The suite of warnings, run on accepted returns of every kind."""
        return next(name for name, spec in self.suites.items() if "return_kind" not in spec)

    def suite(self, name: str) -> dict[str, object]:
        """A GX suite as a dict (name, meta, expectations), in catalogue order."""
        spec = self.suites[name]
        kind = spec.get("return_kind")
        chosen = [
            r
            for r in self.rules
            if r.expect and (r.severity == WARNING if kind is None else r.severity == ERROR and r.applies_to(kind))
        ]
        meta = {k: v for k, v in spec.items() if k.startswith("description")}
        return {"name": name, "meta": meta, "expectations": [r.expectation() for r in chosen]}

    def limits(self, value_type: str) -> Limits:
        """The limits of a value type, from the blocking rules on `value` / `value_fraction`."""
        low = high = one_of = None
        whole = False
        for rule in self.rules:
            kwargs = rule.kwargs or {}
            if (
                value_type not in rule.value_types
                or rule.severity != ERROR
                or kwargs.get("column") not in _VALUE_COLUMNS
            ):
                continue
            if kwargs["column"] == "value_fraction":
                whole = True
            elif rule.expect == "expect_column_values_to_be_in_set":
                one_of = tuple(kwargs["value_set"])
            elif rule.expect == "expect_column_values_to_be_between":
                if kwargs.get("min_value") is not None:
                    low = kwargs["min_value"] if low is None else max(low, kwargs["min_value"])
                if kwargs.get("max_value") is not None:
                    high = kwargs["max_value"] if high is None else min(high, kwargs["max_value"])
        return Limits(low, high, whole, one_of)


@cache
def catalogue() -> Catalogue:
    """The repository's catalogue, read once."""
    return Catalogue.load()
