"""Small text helpers shared by the report writers: formula-looking text, Beijing time, display width."""

from __future__ import annotations

import unicodedata

import pandas as pd

from orchestration.clock import beijing_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIGHT_ZH = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
LIGHT_SHORT = {"green": "绿", "yellow": "黄", "red": "红"}
STATUS_ZH = {"accepted": "已采用", "rejected": "已退回", "superseded": "已被更正版本替代"}


def looks_like_formula(text: object) -> bool:
    """Whether a spreadsheet program would take this text for a formula (= + - @ first): such cells
    are written as strings with Excel's quote prefix, so editing them never evaluates them."""
    return isinstance(text, str) and text.startswith(FORMULA_PREFIXES)


def beijing_or_dash(moment) -> str:
    """A naive-UTC timestamp from the marts in Beijing time, or '—' when missing."""
    return "—" if moment is None or pd.isna(moment) else beijing_text(pd.Timestamp(moment).to_pydatetime())


def display_width(text: object) -> int:
    """Columns a text takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def period_zh(period: str) -> str:
    """'2024Q4' -> '2024年第四季度', '2024' -> '2024年度'."""
    if len(period) == 4:
        return f"{period}年度"
    return f"{period[:4]}年第{'一二三四'[int(period[5]) - 1]}季度"
