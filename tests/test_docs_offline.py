"""`wuxing docs`: dbt's docs and the GX Data Docs render in headless Chromium with the network
blocked, and no request leaves the machine: every request not for 127.0.0.1 goes to a recording
proxy that refuses it (and names resolve to nothing). Chromium's net log tells the pages' requests
from the browser's own service calls (sign-in, autofill: initiator "not an origin", made even for
about:blank, and refused by the proxy too); the pages must make no request off 127.0.0.1 and file://."""

from __future__ import annotations

import json
import re
import socketserver
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from orchestration.docs import dbt_docs_index, gx_docs_index
from tests.ops_helpers import copy_home, free_port, wait_for
from tests.test_ui_live import CHROMIUM, CHROMIUM_FLAGS

OFFLINE_FLAGS = [
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SCRIPTS = re.compile(r"<script\b.*?</script>", re.S | re.I)


class RecordingProxy(socketserver.ThreadingTCPServer):
    """Stands in for the internet: records the first line of each request (CONNECT host:443 for
    https) and closes the connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline(4096).decode("latin-1").strip()
                if line:
                    proxy.requests.append(line)

        super().__init__(("127.0.0.1", 0), Handler)


LOCAL = ("http://127.0.0.1", "file:", "data:", "blob:", "chrome", "about:")


def page_requests(net_log: Path) -> list[str]:
    """URLs off this machine that a page asked for (the browser's own calls left out)."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        and event.get("params", {}).get("url")
        and not event["params"]["url"].startswith(LOCAL)
        and event["params"].get("initiator") != "not an origin"
    ]


def rendered(url: str, profile: Path, proxy_port: int) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, without the <script> elements (so only what the
    scripts rendered, not the data they carry, counts), and the page's requests off the machine."""
    net_log = profile.with_name(f"net-log-{len(list(profile.parent.glob('net-log-*')))}.json")
    args = [
        CHROMIUM,
        *CHROMIUM_FLAGS,
        *OFFLINE_FLAGS,
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        f"--user-data-dir={profile}",
        f"--log-net-log={net_log}",
        "--virtual-time-budget=15000",
        "--window-size=1400,3000",
        "--dump-dom",
        url,
    ]
    out = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
    return SCRIPTS.sub("", out.stdout), page_requests(net_log)


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ci-system-deps.sh)")
def test_docs_render_offline_with_no_request_leaving_the_machine(demo_run, tmp_path):
    assert demo_run.succeeded
    home = copy_home(demo_run.home, tmp_path / "home")
    port = free_port()
    wuxing = Path(sys.executable).with_name("wuxing")
    log = open(tmp_path / "docs.log", "wb")
    server = subprocess.Popen(
        [str(wuxing), "docs", "--home", str(home.root), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    proxy = RecordingProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        wait_for(
            lambda: _up(f"http://127.0.0.1:{port}/gx/index.html") or server.poll() is not None, 300, what="wuxing docs"
        )
        assert server.poll() is None, (tmp_path / "docs.log").read_text()[-3000:]
        assert dbt_docs_index(home).is_file() and gx_docs_index(home).is_file()
        profile = tmp_path / "chromium"
        asked: list[str] = []

        model = "#!/model/model.wuxing.fct_indicator_scores"
        page, requests = rendered(f"http://127.0.0.1:{port}/dbt/index.html{model}", profile, proxy.server_address[1])
        asked += requests
        assert "fct_indicator_scores" in page and "indicator_name_zh" in page, page[-2000:]
        assert "指标名称 / indicator name (Chinese)" in page  # the column description, rendered

        page, requests = rendered(f"http://127.0.0.1:{port}/gx/index.html", profile, proxy.server_address[1])
        asked += requests
        assert 'class="bootstrap-table' in page, page[-2000:]  # built by the shipped bootstrap-table
        for suite in ("unit_return", "evaluation_return", "return_warnings"):
            assert suite in page

        # the same pages opened from the disk, as an analyst double-clicks them
        page, requests = rendered(gx_docs_index(home).as_uri(), profile, proxy.server_address[1])
        asked += requests
        assert 'class="bootstrap-table' in page
        validation = next((gx_docs_index(home).parent / "validations").rglob("*.html"))
        page, requests = rendered(validation.as_uri(), profile, proxy.server_address[1])
        asked += requests
        assert "Overview" in page and 'class="bootstrap-table' in page, page[-2000:]
        assert asked == []

        # the detector works: GX's own page asks the CDNs (refused by the proxy) and renders no table
        page, requests = rendered(
            (home.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").as_uri(),
            profile,
            proxy.server_address[1],
        )
        assert any("code.jquery.com" in url for url in requests), requests
        assert 'class="bootstrap-table' not in page
        assert any("code.jquery.com" in line for line in proxy.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
        proxy.shutdown()
        proxy.server_close()
        log.close()
