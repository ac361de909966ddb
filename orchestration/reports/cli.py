"""`wuxing report PERIOD [--out DIR]` and `wuxing report --serve`."""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

from orchestration.home import Home
from orchestration.reports.build import build_report, reports_root
from orchestration.reports.data import ReportError


class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    """Static files only: GET and HEAD; anything else is refused."""

    def do_POST(self):  # noqa: N802 (http.server naming)
        self.send_error(405, "read-only")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format, *args):  # noqa: A002
        sys.stderr.write("report server: " + format % args + "\n")


def serve(root: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve the reports folder read-only on host:port until interrupted."""
    if not root.is_dir():
        print(f"尚无报告 / no reports yet in {root}: run `wuxing report PERIOD` first", file=sys.stderr)
        return 2
    handler = functools.partial(ReadOnlyHandler, directory=str(root))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        print(f"报告浏览 / reports at http://{host}:{port}/ (只读 read-only; Ctrl-C 停止 to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def report_command(home: Home, args: argparse.Namespace) -> int:
    """Build (or serve) reports; exit 2 with a clear message when the period cannot be reported."""
    if args.serve:
        return serve(Path(args.out) if args.out else reports_root(home), args.port)
    if not args.period:
        print("请给出期次 / give a period, e.g. `wuxing report 2024Q4` (or `--serve`)", file=sys.stderr)
        return 2
    try:
        report = build_report(home, args.period, Path(args.out) if args.out else None)
    except ReportError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"已发布 {args.period} 报告 / reports published in {report.seconds:.1f} s: {report.folder}")
    for name in report.files:
        if "/" not in name:
            print(f"  {name}")
    if any(name.startswith("site/") for name in report.files):
        print("  site/index.html  （网页看板，可直接用浏览器打开 / open in a browser）")
    return 0
