"""What a later return replaces and keeps, for its receipt notice (the rule itself is dbt's
int_return_values_versioned: a later accepted return replaces only the values it carries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from orchestration.clock import beijing
from orchestration.returns import layout

Key = tuple[str, str]  # (assessed unit, indicator)

# The latest accepted value per (submitter, period, unit, indicator) in the raw tables.
_CURRENT_SQL = """
select f.submitter_code, f.period,
       case when f.return_type = 'unit' then f.submitter_code else v.unit_code end as unit_code,
       v.indicator_code, f.received_at
from raw.return_values v
join raw.return_files f using (sha256)
where f.status = 'accepted' and v.indicator_code is not null
qualify row_number() over (
    partition by f.submitter_code, f.period, unit_code, v.indicator_code
    order by f.received_at desc, f.sha256 desc) = 1
"""


@dataclass
class CurrentValues:
    """Per (submitter, period): when each current value's file was received (UTC, naive)."""

    by_return: dict[tuple[str, str], dict[Key, datetime]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> CurrentValues:
        """The current values recorded in the warehouse's raw tables."""
        current = cls()
        for submitter, period, unit, indicator, received in con.execute(_CURRENT_SQL).fetchall():
            current.by_return[(submitter, period)][(unit, indicator)] = received
        return current

    @property
    def reported(self) -> set[tuple[str, str]]:
        """(submitter, period) pairs with an accepted return."""
        return {pair for pair, values in self.by_return.items() if values}

    def summary(
        self, submitter: str | None, period: str | None, return_type: str | None, values: pd.DataFrame
    ) -> str | None:
        """The receipt line saying what this return replaces and what stays (None for a first return)."""
        earlier = self.by_return.get((submitter, period)) if submitter and period else None
        if not earlier:
            return None
        carried = _keys(submitter, return_type, values)
        withdrawn = _keys(submitter, return_type, values[values.is_withdrawn.astype(bool)])
        replaced = (carried & earlier.keys()) - withdrawn
        added = carried - earlier.keys() - withdrawn
        kept = {key: at for key, at in earlier.items() if key not in carried}
        evaluation = return_type == layout.RETURN_TYPE_EVALUATION
        parts = [f"更正 {_count(replaced, evaluation)}数据"] if replaced else []
        if added:
            parts.append(f"新增 {_count(added, evaluation)}数据")
        if withdrawn:
            parts.append(f"撤回 {_count(withdrawn, evaluation)}数据")
        line = "，".join(parts) or "未改动任何数据"
        if kept:
            days = "、".join(sorted({_beijing_day(at) for at in kept.values()}))
            line += f"；其余 {_count(set(kept), evaluation)}数据沿用 {days} 报送的数据"
        else:
            line += "；此前报送的数据已全部被本表替代"
        return line

    def add(
        self,
        submitter: str | None,
        period: str | None,
        return_type: str | None,
        values: pd.DataFrame,
        received_at: datetime,
    ) -> None:
        """Record an accepted return of the batch, so a later one in the batch is compared with it."""
        if submitter and period:
            at = received_at.astimezone(UTC).replace(tzinfo=None) if received_at.tzinfo else received_at
            for key in _keys(submitter, return_type, values):
                self.by_return[(submitter, period)][key] = at


def _keys(submitter: str, return_type: str | None, values: pd.DataFrame) -> set[Key]:
    """(unit, indicator) of each value row; a unit return's values are the submitter's own."""
    units = [submitter] * len(values) if return_type == layout.RETURN_TYPE_UNIT else values.unit_code
    return {(str(u), str(i)) for u, i in zip(units, values.indicator_code) if u is not None and i is not None}


def _count(keys: set[Key], evaluation: bool) -> str:
    """'3 个单位 6 项' for an evaluator's return, '6 项' for a unit's own."""
    return f"{len({u for u, _ in keys})} 个单位 {len(keys)} 项" if evaluation else f"{len(keys)} 项"


def _beijing_day(at: datetime) -> str:
    """A receipt time stored as naive UTC, as its calendar day in Beijing."""
    return beijing(at).strftime("%Y-%m-%d")
