"""Normalising what clerks type: numbers, placeholders, unit names and periods."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

PLACEHOLDERS = frozenset({"—", "——", "-", "--", "/", "无", "不适用", "n/a", "na"})
WITHDRAWAL_MARKS = frozenset({"撤回", "撤销"})  # the cell withdraws an earlier value of the same cell
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-"})  # −, ‒, – typed for a minus

_CN_QUARTER = {"一": "1", "二": "2", "三": "3", "四": "4", "1": "1", "2": "2", "3": "3", "4": "4"}
_PERIOD_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-_ ]?\s*Q([1-4])$", re.IGNORECASE),
    re.compile(r"^(\d{4})年第?([一二三四1-4])季度?$"),
)


def clean_text(cell: object) -> str:
    """A cell as text: full-width folded to half-width, surrounding spaces removed."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return unicodedata.normalize("NFKC", str(cell)).strip()


def is_placeholder(text: str) -> bool:
    """True for the marks clerks use for 'not applicable' (—, /, 无, 不适用 …)."""
    return text.lower() in PLACEHOLDERS


def is_withdrawal(text: str) -> bool:
    """True for the mark that withdraws an earlier reported value (撤回)."""
    return text in WITHDRAWAL_MARKS


def parse_number(cell: object, percent_format: bool = False) -> float | None:
    """A typed value as a number in the indicator's unit, or None when it is not a number.

    Rates are percent points: "85%", "８５％" and a 0.85 cell formatted as percent all give 85.
    Negative numbers ("-1.5", "－1.5", "−1.5") parse; whether they are allowed is the value type's rule.
    """
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        if cell != cell or cell in (float("inf"), float("-inf")):
            return None
        number = as_displayed(cell)
        return float(number * 100 if percent_format else number)
    text = clean_text(cell).translate(MINUS_SIGNS).replace(",", "").replace(" ", "")
    if not text:
        return None
    if text.endswith("%"):
        text = text[:-1]
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    value = float(number) if number.is_finite() else None
    return value if value is not None and math.isfinite(value) else None


def as_displayed(number: int | float) -> Decimal:
    """A spreadsheet number as the decimal the clerk saw: at most 15 significant digits, as Excel
    and WPS display and store them (0.689 in a percent cell is 68.9, not 68.89999999999999)."""
    return Decimal(f"{number:.15g}")


def normalise_period(text: str) -> str | None:
    """'2024Q1', '2024年第一季度' or '2024年1季度' -> '2024Q1'; None if not a quarter."""
    cleaned = clean_text(text).replace(" ", "")
    for pattern in _PERIOD_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            return f"{match.group(1)}Q{_CN_QUARTER[match.group(2)]}"
    return None


_NUMERIC_CODE = re.compile(r"^\d+(\.\d*)?(e\+?\d+)?$", re.IGNORECASE)


def normalise_name(text: str) -> str:
    """A unit name or code as typed, with spaces of any width removed; a code a spreadsheet turned
    into a number (360481.0, 3.60481E+05) back into its digits."""
    name = re.sub(r"\s+", "", clean_text(text))
    if _NUMERIC_CODE.match(name) and not name.isdigit():
        number = Decimal(name)
        if number == number.to_integral_value():
            return str(int(number))
    return name
