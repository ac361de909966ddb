"""Reference data (units, evaluators, indicator framework) read from `seeds/` for Python use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from orchestration.paths import SEEDS_DIR
from orchestration.quarters import quarter_index


def _read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    """Read one seed CSV with every column as text, blanks as empty strings."""
    return pd.read_csv(seeds_dir / f"{name}.csv", dtype=str, keep_default_na=False)


def _split(cell: str) -> list[str]:
    """Split a `|`-separated seed cell."""
    return [part.strip() for part in cell.split("|") if part.strip()]


@dataclass(frozen=True)
class Reference:
    """The seeds as pandas frames plus the look-ups validation and writers need."""

    units: pd.DataFrame
    evaluators: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    seeds_dir: Path = SEEDS_DIR

    @classmethod
    def load(cls, seeds_dir: Path = SEEDS_DIR) -> Reference:
        """Load the reference data from a seeds folder."""
        return cls(
            units=_read_seed(seeds_dir, "units"),
            evaluators=_read_seed(seeds_dir, "evaluators"),
            indicators=_read_seed(seeds_dir, "indicators"),
            targets=_read_seed(seeds_dir, "indicator_targets"),
            seeds_dir=seeds_dir,
        )

    @cached_property
    def unit_tier(self) -> dict[str, str]:
        """unit_code -> tier."""
        return dict(zip(self.units.unit_code, self.units.tier))

    @cached_property
    def unit_name(self) -> dict[str, str]:
        """unit_code (or evaluator_code) -> official name."""
        names = dict(zip(self.units.unit_code, self.units.unit_name))
        names.update(zip(self.evaluators.evaluator_code, self.evaluators.evaluator_name))
        return names

    @cached_property
    def name_to_code(self) -> dict[str, str]:
        """Every accepted spelling of a unit or evaluator (code, names, aliases) -> its code."""
        lookup: dict[str, str] = {}
        for row in self.units.itertuples():
            for name in [row.unit_code, row.unit_name, row.short_name, *_split(row.aliases)]:
                lookup[name] = row.unit_code
        for row in self.evaluators.itertuples():
            lookup[row.evaluator_code] = row.evaluator_code
            lookup[row.evaluator_name] = row.evaluator_code
        return lookup

    def indicators_for(self, tier: str, source: str = "self", period: str | None = None) -> pd.DataFrame:
        """Indicators that apply to a tier and are reported by `source` (self or an evaluator); with a
        period, without the annual-only indicators of its framework unless it is a fourth quarter."""
        applies = self.indicators.tiers.map(lambda cell: tier in _split(cell))
        chosen = self.indicators[applies & (self.indicators.source == source)]
        if period is None or period.endswith("Q4"):
            return chosen
        return chosen[~chosen.indicator_code.isin(self.annual_only(period))]

    def annual_only(self, period: str) -> set[str]:
        """Codes the framework version of a period scores once a year (frequency `annual`): they are
        reported in the year's Q4 return only."""
        leaves = self.framework_indicators
        if "frequency" not in leaves:
            return set()
        annual = leaves[leaves.framework_version.isin(self.official_versions(period)) & (leaves.frequency == "annual")]
        return set(annual.indicator_code)

    def official_versions(self, period: str) -> list[str]:
        """The framework versions officially in force in a quarter (first_period..last_period), as
        int_scoring_runs_assigned decides (tests/test_one_place.py compares them)."""
        index = quarter_index(period)
        versions = self.framework_versions
        return [
            row.framework_version
            for row in versions.itertuples()
            if index is not None
            and quarter_index(row.first_period) <= index
            and (not row.last_period or index <= quarter_index(row.last_period))
        ]

    def target(self, indicator_code: str, tier: str, peer_group: str = "", framework_version: str = "") -> float | None:
        """The indicator's target for a tier, if the framework sets one.

        As the scoring does: the most specific row wins (version + peer group > version > peer
        group > the whole tier); blank cells in indicator_targets.csv mean "any".
        """
        targets = self.targets
        for column in ("framework_version", "peer_group"):
            if column not in targets:
                targets = targets.assign(**{column: ""})
        rows = targets[
            (targets.indicator_code == indicator_code)
            & (targets.tier == tier)
            & targets.peer_group.isin(["", peer_group])
            & targets.framework_version.isin(["", framework_version])
        ]
        if not len(rows):
            return None
        rows = rows.assign(_specific=(rows.framework_version != "") * 2 + (rows.peer_group != ""))
        return float(rows.sort_values("_specific", ascending=False).target.iloc[0])

    @cached_property
    def framework_versions(self) -> pd.DataFrame:
        """framework_versions.csv (one row per assessment-year framework)."""
        return _read_seed(self.seeds_dir, "framework_versions")

    @cached_property
    def framework_nodes(self) -> pd.DataFrame:
        """framework_nodes.csv: the aggregate nodes of every version's tree."""
        return _read_seed(self.seeds_dir, "framework_nodes")

    @cached_property
    def framework_indicators(self) -> pd.DataFrame:
        """framework_indicators.csv: every version's leaves (method, parameters, weight)."""
        return _read_seed(self.seeds_dir, "framework_indicators")

    @cached_property
    def tolerated_of(self) -> dict[str, str]:
        """Tolerated-count indicator (容错) -> the deduction item whose incidents it counts, in any version."""
        leaves = self.framework_indicators
        linked = leaves[leaves.tolerated_indicator_code != ""]
        return dict(zip(linked.tolerated_indicator_code, linked.indicator_code))
