"""The `wuxing` commands that the other test modules do not already drive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orchestration.cli import main
from tests.test_faults import alive, descendants


def test_template_command_writes_the_units_workbook(tmp_path, reference, capsys):
    out = tmp_path / "t.xlsx"
    assert (
        main(["template", "--unit", "360124", "--period", "2024Q4", "--out", str(out), "--home", str(tmp_path / "h")])
        == 0
    )
    sheet = load_workbook(out)["填报表"]
    codes = []
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if not row[1]:
            break  # the signature block follows a blank row
        codes.append(row[1])
    assert len(codes) == len(set(codes))
    assert set(codes) == set(reference.indicators_for("county").indicator_code)
    assert main(["template", "--unit", "999999", "--period", "2024Q4", "--out", str(out)]) == 2
    assert "999999" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ui_serves_the_dagster_webserver_on_localhost(tmp_path):
    port = _free_port()
    wuxing = Path(sys.executable).with_name("wuxing")
    process = subprocess.Popen(
        [str(wuxing), "ui", "--home", str(tmp_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        body = ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
                    body = reply.read().decode()
                    break
            except OSError:
                time.sleep(1)
        assert "dagster_webserver_version" in body
        assert (tmp_path / "dagster" / "dagster.yaml").exists()
        # SIGTERM to `wuxing ui` alone (as a service manager sends it) stops everything it started.
        seen = descendants(process.pid)
        assert len(seen) >= 3  # dagster dev, the webserver, the daemon
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=240)  # dagster dev shuts down slowly on two busy cores
        assert [pid for pid in seen if alive(pid)] == []
    finally:
        for pid in [process.pid, *descendants(process.pid)]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
