"""`python -m benchmarks run --scale N --quarters Q`: synthetic data at scale, each step of a run
timed with its peak RSS, the floor query beside it; JSON and Markdown written, ratio printed.
A benchmark measures and reports; it asserts no time."""

from __future__ import annotations

import argparse
import sys

from benchmarks.run import run
from benchmarks.steps import main as step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("run", help="generate, score, time, compare with the floor")
    bench.add_argument("--scale", type=int, default=2000, help="units (default 2000; the demo has 152)")
    bench.add_argument("--quarters", type=int, default=2, help="quarters of returns from 2024Q1 (default 2)")
    bench.add_argument("--work", default="bench-work", help="folder for the synthetic homes (replaced)")
    bench.add_argument("--out", default="benchmarks/results", help="folder for the JSON and Markdown")
    bench.add_argument(
        "--intake", action="store_true", help="also time archiving and validating the demo's real return files"
    )
    one = commands.add_parser("step", help="run one step in this process (used by `run`)")
    one.add_argument("name")
    one.add_argument("home")
    one.add_argument("result")
    args = parser.parse_args(argv)
    if args.command == "step":
        step(args.name, args.home, args.result)
        return 0
    return run(args.scale, args.quarters, args.work, args.out, args.intake)


if __name__ == "__main__":
    sys.exit(main())
