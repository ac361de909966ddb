"""Quarter arithmetic ('2024Q3'), the Python twin of dbt_project/macros/period_index.sql
(tests/test_one_place.py runs both on the same periods)."""

from __future__ import annotations

import re
from datetime import date

_QUARTER = re.compile(r"(\d{4})Q([1-4])")
# The quarters a quarter's scores are compared with (last quarter, same quarter last year), as
# int_unit_scores_compared.sql joins them; a period's fingerprint covers these quarters too.
COMPARED_OFFSETS = (-1, -4)


def quarter_index(period: str | None) -> int | None:
    """'2024Q3' -> year x 4 + quarter - 1, one more per quarter; None if not a quarter."""
    found = _QUARTER.fullmatch(period or "")
    return int(found.group(1)) * 4 + int(found.group(2)) - 1 if found else None


def quarter_at(index: int) -> str:
    """The quarter of an index: quarter_at(quarter_index(q)) == q."""
    return f"{index // 4}Q{index % 4 + 1}"


def shift(quarter: str, quarters: int) -> str:
    """The quarter `quarters` after (or, negative, before) `quarter`."""
    index = quarter_index(quarter)
    if index is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    return quarter_at(index + quarters)


def quarter_start(quarter: str) -> date:
    """The first day of a quarter."""
    index = quarter_index(quarter)
    if index is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    return date(index // 4, index % 4 * 3 + 1, 1)
