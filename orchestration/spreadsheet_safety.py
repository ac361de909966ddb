"""Formula safety for every spreadsheet wuxing writes: a text value that Excel or WPS would run
as a formula (it starts with = + - @, or a tab or carriage return) is written as text.

Values are stored as seen everywhere else; only the xlsx/csv output is guarded. Numbers, and
text that is a plain number or a placeholder such as "-" or "--", are left as they are.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?|-+")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would evaluate: it starts with = + - @ (or tab, CR) and is not
    a plain number or a run of dashes."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN.fullmatch(value.strip())


def csv_text(text: str) -> str:
    """A CSV field that opens as text: formula-like text gets a leading apostrophe."""
    return "'" + text if is_formula_like(text) else text


def xlsx_cell(cell):
    """An openpyxl cell (normal or write-only) whose formula-like text value is stored as a string
    cell, never a formula; returned for chaining."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
    return cell
