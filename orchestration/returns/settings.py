"""Validation settings (expectations/validation_settings.json) and the period calendar (seeds/periods.csv)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.paths import EXPECTATIONS_DIR, SEEDS_DIR

SETTINGS_FILE = "validation_settings.json"


@dataclass(frozen=True)
class Period:
    """One assessment quarter: when it starts, when returns are due, when it is closed."""

    period: str
    start_date: date
    deadline: date
    closed_on: date | None


@dataclass(frozen=True)
class ValidationSettings:
    """Limits and thresholds of the return gate."""

    template_versions: tuple[str, ...]
    max_file_bytes: int
    max_unpacked_bytes: int
    max_compression_ratio: float
    change_warning_ratio: float
    change_warning_count_floor: float
    part_whole: tuple[tuple[str, str], ...]
    periods: dict[str, Period]

    @classmethod
    def load(cls, expectations_dir: Path = EXPECTATIONS_DIR, seeds_dir: Path = SEEDS_DIR) -> ValidationSettings:
        """Read the settings file (keys in a `validation_settings.json` of the framework folder
        override it) and the period calendar. The part <= whole pairs are the settings' own plus
        every tolerated count with its deduction item in the framework's framework_indicators.csv."""
        spec = json.loads((expectations_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        if (seeds_dir / SETTINGS_FILE).is_file():
            spec |= json.loads((seeds_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        calendar = pd.read_csv(seeds_dir / "periods.csv", dtype=str, keep_default_na=False)
        periods = {
            row.period: Period(
                row.period,
                date.fromisoformat(row.start_date),
                date.fromisoformat(row.deadline),
                date.fromisoformat(row.closed_on) if row.closed_on else None,
            )
            for row in calendar.itertuples()
        }
        return cls(
            template_versions=tuple(spec["template_versions"]),
            max_file_bytes=int(spec["max_file_bytes"]),
            max_unpacked_bytes=int(spec["max_unpacked_bytes"]),
            max_compression_ratio=float(spec["max_compression_ratio"]),
            change_warning_ratio=float(spec["change_warning_ratio"]),
            change_warning_count_floor=float(spec["change_warning_count_floor"]),
            part_whole=_part_whole(spec["part_whole"], seeds_dir),
            periods=periods,
        )

    def period_status(self, period: str, landed: date) -> str:
        """'open', 'not_started', 'closed' or 'unknown' for a period as of the day a file landed."""
        known = self.periods.get(period)
        if known is None:
            return "unknown"
        if landed < known.start_date:
            return "not_started"
        if known.closed_on is not None and landed >= known.closed_on:
            return "closed"
        return "open"


def _part_whole(listed: list[list[str]], seeds_dir: Path) -> tuple[tuple[str, str], ...]:
    """The listed (part, whole) pairs, then each (tolerated count, its deduction item) of the framework."""
    pairs = [(part, whole) for part, whole in listed]
    links = pd.read_csv(seeds_dir / "framework_indicators.csv", dtype=str, keep_default_na=False)
    if "tolerated_indicator_code" in links:
        links = links[links.tolerated_indicator_code != ""]
        pairs += zip(links.tolerated_indicator_code, links.indicator_code)
    return tuple(dict.fromkeys(pairs))
