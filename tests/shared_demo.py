"""The demo home after one full run, built once and shared by every test that only reads it: by the
xdist workers of a session (a file lock: the first builds, the others wait) and by later sessions
while nothing it depends on changed (a cache directory keyed on `demo_fingerprint`)."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
from filelock import FileLock

from orchestration.demo import DemoManifest, generate_demo
from orchestration.home import Home

ROOT = Path(__file__).resolve().parents[1]
# What the demo run depends on: the code, the models, the rules and reference data, the pins, this file.
DEMO_INPUTS = (
    "orchestration",
    "dbt_project",
    "seeds",
    "frameworks",
    "expectations",
    "vendor",
    "pyproject.toml",
    "constraints.txt",
    "tests/shared_demo.py",
)
NOT_INPUTS = {"target", "logs", "dbt_packages", "__pycache__", ".pytest_cache"}


@dataclass
class DemoRun:
    """A home after one full pipeline run on the demo data."""

    home: Home
    manifest: DemoManifest
    succeeded: bool

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a query on the published DuckDB, read-only, as an analyst would."""
        with duckdb.connect(str(self.home.published / "wuxing.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def demo_fingerprint() -> str:
    """A hash of every file the demo run depends on (names and bytes) and of the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for name in DEMO_INPUTS:
        top = ROOT / name
        files = (
            [top]
            if top.is_file()
            else sorted(p for p in top.rglob("*") if p.is_file() and not NOT_INPUTS & set(p.relative_to(top).parts))
        )
        for path in files:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_demo(where: Path) -> DemoRun:
    """Generate the demo returns into a fresh home and run the nightly job once, in-process."""
    from orchestration.cli import run_pipeline

    home = Home.resolve(where).ensure()
    manifest = generate_demo(home.landing, seed=2024)
    return DemoRun(home=home, manifest=manifest, succeeded=run_pipeline(home))


def shared_demo(cache: Path) -> DemoRun:
    """The demo run kept in `cache/<fingerprint>`, built there first if it is not (older ones removed)."""
    cache.mkdir(parents=True, exist_ok=True)
    key = demo_fingerprint()
    built, done = cache / key, cache / f"{key}.pickle"
    with FileLock(str(cache / "build.lock")):
        if not done.is_file():
            for old in cache.iterdir():  # other fingerprints, and a build that was interrupted
                if old.name != "build.lock":
                    shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
            run = build_demo(built)
            done.write_bytes(pickle.dumps((run.manifest, run.succeeded)))
    manifest, succeeded = pickle.loads(done.read_bytes())
    return DemoRun(home=Home.resolve(built), manifest=manifest, succeeded=succeeded)
