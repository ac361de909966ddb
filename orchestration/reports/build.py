"""Make one period's reports and publish them atomically to published/reports/<period>/.

The files are written into a fresh version folder; then the `<period>` link is swapped to it in
one rename, so a reader sees the previous reports or the new ones, never a half-written set.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import Home
from orchestration.periods import partition_keys
from orchestration.reference import Reference
from orchestration.reports import data as report_data
from orchestration.reports.data import ReportData, ReportError
from orchestration.reports.provenance import Provenance, latest_publish_run, provenance
from orchestration.reports.workbook import write_workbook

REPORTS = "reports"
VERSIONS = ".versions"
KEEP_VERSIONS = 3
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Report:
    """A published report: where it is, its files and how long it took."""

    period: str
    folder: Path
    files: list[str]
    seconds: float


def reports_root(home: Home) -> Path:
    return home.published / REPORTS


def _manifest(data: ReportData, prov: Provenance, folder: Path) -> dict:
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    returns = data.current_returns
    return {
        "period": data.period,
        "generated_at": prov.generated_at,
        "generated_at_utc": prov.generated_at_utc,
        "dagster_run_id": prov.run_id,
        "publication_snapshot": prov.publication,
        "framework_versions": data.framework_versions,
        "status": data.coverage.status,
        "units_reported": f"{data.coverage.units_reported}/{data.coverage.units_expected}",
        "evaluators_reported": f"{data.coverage.evaluators_reported}/{data.coverage.evaluators_expected}",
        "returns": [
            {
                "file_name": r.file_name,
                "sha256": r.sha256,
                "submitter": r.unit_code,
                "period": r.period,
                "version": int(r.version),
            }
            for r in returns.itertuples()
        ],
        "files": {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in files},
    }


def write_reports(data: ReportData, prov: Provenance, folder: Path, home_root: Path | None = None) -> None:
    """Every report file of one period into `folder` (which exists and is empty)."""
    from orchestration.reports.document import write_document
    from orchestration.reports.site import write_site

    write_workbook(data, prov, folder)
    write_document(data, prov, folder, home_root)
    write_site(data, prov, folder / "site")
    manifest = _manifest(data, prov, folder)
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _swap_in(root: Path, period: str, version: Path) -> Path:
    """Point root/<period> at `version` in one rename; keep the newest versions only."""
    link = root / period
    if link.exists() and not link.is_symlink():  # a plain folder left by hand: keep it as a version
        os.replace(link, version.parent / f"replaced-{version.name}")
    tmp = root / f".{period}.{version.name}.link"
    os.symlink(Path(VERSIONS) / period / version.name, tmp)
    os.replace(tmp, link)
    for old in sorted(p for p in version.parent.iterdir() if p != version)[: -(KEEP_VERSIONS - 1) or None]:
        shutil.rmtree(old, ignore_errors=True)
    return link


def build_report(
    home: Home, period: str, out: Path | None = None, run_id: str | None = None, reference: Reference | None = None
) -> Report:
    """Make the reports of a quarter or year from the home's published marts and publish them to
    published/reports/<period>/ (or <out>/<period>/); ReportError if the period has no scores."""
    started = time.monotonic()
    if period not in partition_keys(home.framework):
        raise ReportError(f"未知期次 / unknown period: {period}（例 e.g. 2024Q4，或年度 or the year 2024）")
    data = report_data.load(home.published, period, reference or Reference.load(home.framework))
    prov = provenance(run_id if run_id is not None else latest_publish_run(home), data.publication)
    root = Path(out) if out else reports_root(home)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    version = root / VERSIONS / period / stamp
    version.mkdir(parents=True)
    try:
        write_reports(data, prov, version, home.root)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    link = _swap_in(root, period, version)
    files = sorted(str(p.relative_to(version)) for p in version.rglob("*") if p.is_file())
    return Report(period=period, folder=link, files=files, seconds=time.monotonic() - started)
