"""Helpers for the operations tests: free ports, a recording HTTP server, waiting, copying homes."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from orchestration.home import Home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.5, what: str = "condition"):
    """Poll until predicate() is truthy; return its value, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def copy_home(source: Home, target: Path) -> Home:
    """A copy of a home (archive, warehouse, published marts, run history) to mutate freely."""
    shutil.copytree(source.root, target, symlinks=True)
    return Home.resolve(target)


class RecordingWebhook:
    """A robot stand-in on 127.0.0.1: records every POSTed JSON body and answers {"errcode": 0}."""

    def __init__(self, answer: dict | None = None) -> None:
        self.bodies: list[dict] = []
        answer_bytes = json.dumps(answer or {"errcode": 0, "errmsg": "ok"}).encode()
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length", 0))
                bodies.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(self.rfile.read(length).decode("utf-8")),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer_bytes)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingWebhook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def drop_resubmission(demo_run, landing: Path, period: str = "2024Q4") -> str:
    """Drop a corrected resubmission of one accepted CSV return of the demo run for `period` into
    landing/: the same values re-saved (one more newline), named like the original, and written
    (mtime) a minute after the original landed, so the return gate judges it on time, as it would
    have been then. Returns its file name."""
    from datetime import datetime

    sha, name = demo_run.query(
        "select sha256, file_name from marts.mart_return_log where status = 'accepted' "
        "and file_name like '%.csv' and period = ? order by sha256 limit 1",
        [period],
    )[0]
    (blob,) = demo_run.home.archive.glob(f"{sha[:2]}/{sha}.csv")
    meta = json.loads(blob.with_name(f"{sha}.json").read_text(encoding="utf-8"))
    landed = datetime.fromisoformat(meta.get("landed_at", meta["received_at"])).timestamp() + 60
    target = landing / (name.removesuffix(".csv") + "_resubmitted.csv")
    target.write_bytes(blob.read_bytes() + b"\n")
    import os

    os.utime(target, (landed, landed))
    return target.name
