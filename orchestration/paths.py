"""Where the project's own files are: seeds, dbt project, expectation suites."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT_ROOT / "seeds"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # dbt-core installed beside this Python
