"""The home folder: where returns land, are archived, quarantined, scored and published."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from orchestration.paths import SEEDS_DIR

DEFAULT_HOME = "./var"
CONFIG_FILE = "wuxing.toml"  # optional, in the home: framework = "<folder>" (relative to the home)


@dataclass(frozen=True)
class Home:
    """Paths of one wuxing home folder."""

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Home:
        """The home given, else $WUXING_HOME, else ./var, as an absolute path."""
        return cls(Path(home or os.environ.get("WUXING_HOME") or DEFAULT_HOME).resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def notices(self) -> Path:
        """One notice per judged return (receipts with warnings included), for the submitters."""
        return self.root / "notices"

    @property
    def warehouse(self) -> Path:
        """The working DuckDB file (one writer at a time)."""
        return self.root / "warehouse" / "wuxing.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def framework(self) -> Path:
        """The framework folder this home is scored with (units, peer groups, indicators, targets,
        versions, tree, parameters, grades, period calendar): `framework` in the home's
        wuxing.toml, else the Jiangxi province framework of the repository (seeds/)."""
        config = self.root / CONFIG_FILE
        if not config.is_file():
            return SEEDS_DIR
        folder = tomllib.loads(config.read_text(encoding="utf-8")).get("framework")
        return (self.root / folder).resolve() if folder else SEEDS_DIR

    def ensure(self) -> Home:
        """Create the folders of the layout if missing."""
        for path in (
            self.landing,
            self.archive,
            self.quarantine,
            self.notices,
            self.warehouse.parent,
            self.published,
            self.dagster_home,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self
