"""The frame the warnings suite checks: accepted rows beside the unit's last accepted value before
that period, and per-file facts (days late, all values unchanged)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from orchestration.quarters import quarter_index
from orchestration.returns.settings import ValidationSettings

HISTORY_COLUMNS = ["unit_code", "period", "indicator_code", "value"]


def warning_frame(accepted: pd.DataFrame, history: pd.DataFrame, settings: ValidationSettings) -> pd.DataFrame:
    """Accepted rows with the unit's last accepted value before that period, and per-file facts."""
    frame = accepted[accepted.source_row.notna() & accepted.value.notna()].copy()
    frame["order"] = frame.file_key + 1
    candidates = pd.concat([history.assign(order=0), frame[HISTORY_COLUMNS + ["order"]]], ignore_index=True).dropna(
        subset=["value"]
    )
    candidates["period_no"] = candidates.period.map(quarter_index)
    candidates = (
        candidates.dropna(subset=["period_no"])
        .sort_values("order")
        .drop_duplicates(["unit_code", "period", "indicator_code"], keep="last")
        .rename(columns={"value": "baseline", "period": "baseline_period"})[
            ["unit_code", "indicator_code", "period_no", "baseline", "baseline_period"]
        ]
    )
    frame["period_no"] = frame.period.map(quarter_index)
    frame = frame.dropna(subset=["period_no"])
    keys = {"period_no": "int64", "unit_code": "str", "indicator_code": "str"}
    frame = pd.merge_asof(
        frame.astype(keys).sort_values("period_no"),
        candidates.astype(keys).sort_values("period_no"),
        on="period_no",
        by=["unit_code", "indicator_code"],
        allow_exact_matches=False,
    )
    floor = np.where(frame.value_type == "count", settings.change_warning_count_floor, 1e-9)
    frame["change_ratio"] = (frame.value - frame.baseline).abs() / frame.baseline.abs().clip(
        lower=pd.Series(floor, index=frame.index)
    )
    previous = frame.baseline_period.map(lambda p: quarter_index(p) if isinstance(p, str) else None)
    same = (previous == frame.period_no - 1) & (frame.value == frame.baseline)
    frame["identical_to_previous"] = same.groupby(frame.file_key).transform("all")
    deadlines = {p: v.deadline for p, v in settings.periods.items()}
    frame["days_late"] = [
        (date.fromisoformat(landed) - deadlines[p]).days if p in deadlines else 0
        for landed, p in zip(frame.landed_on, frame.period)
    ]
    frame = frame.sort_values("row_id").reset_index(drop=True)
    frame["row_id"] = frame.index
    return frame
