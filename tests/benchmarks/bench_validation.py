"""Validation cost per return and per 1,000 returns on the demo data (a benchmark: it measures, asserts nothing).

Usage: .venv/bin/python tests/benchmarks/bench_validation.py [N_RETURNS]
Reads the demo returns (generated into a temp folder), then times parsing and the GX suites on the
first N returns (default 1000), in memory and with Data Docs, and prints seconds per stage.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from orchestration.demo import generate_demo
from orchestration.reference import Reference
from orchestration.returns.intake import Submission, judge
from orchestration.returns.parse import parse_return
from orchestration.returns.validate import ReturnValidator


def main(count: int) -> None:
    reference = Reference.load()
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        landing.mkdir()
        files = sorted(generate_demo(landing, seed=2024, reference=reference).files)[:count]
        submissions = [
            Submission(p.name, p.read_bytes(), datetime.fromtimestamp(p.stat().st_mtime, UTC)) for p in files
        ]
        validator = ReturnValidator(reference)
        started = time.perf_counter()
        import great_expectations  # noqa: F401  (import cost shown on its own)

        validator.context
        imports = time.perf_counter() - started
        started = time.perf_counter()
        for s in submissions:
            parse_return(s.file_name, s.data, validator.settings)
        parsing = time.perf_counter() - started
        started = time.perf_counter()
        judge(submissions, validator)
        in_memory = time.perf_counter() - started
        started = time.perf_counter()
        judge(submissions, ReturnValidator(reference, docs_dir=Path(tmp) / "docs"))
        with_docs = time.perf_counter() - started
    n = len(submissions)
    print(f"returns: {n}  (xlsx {sum(s.file_name.endswith('.xlsx') for s in submissions)})")
    print(f"GX import + context (once): {imports:.2f} s")
    print(f"parse only:              {parsing:.2f} s   {1000 * parsing / n:.1f} ms/return")
    print(
        f"parse + GX, in memory:   {in_memory:.2f} s   {1000 * in_memory / n:.1f} ms/return   "
        f"{1000 * in_memory / n:.1f} s per 1,000"
    )
    print(f"parse + GX + Data Docs:  {with_docs:.2f} s   {1000 * with_docs / n:.1f} ms/return")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
