"""Documentation pages of a home, offline: dbt's docs of the scoring models and the Great
Expectations Data Docs of the return validations, at stable paths under <home>/docs/."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from orchestration.home import Home
from orchestration.paths import PROJECT_ROOT

GX_ASSETS = PROJECT_ROOT / "vendor" / "gx-data-docs"
VENDOR = "static/vendor"  # where the assets go inside the copied site
# CDN address (prefix) -> file shipped in vendor/gx-data-docs ('' drops the tag: vega is unused)
GX_CDN = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control": "bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/all.min.css",
}
# An address the browser loads by itself (not a link the reader may follow): <script src>, <img src>,
# <link href> (GX's <link>s are stylesheets and the icon).
LOADED = re.compile(r"""(<(?:script|img|link)\b[^>]*?\b(?:src|href)=")(https?://[^"]+)(")""")
VEGA = re.compile(r"""<script src="https://cdn\.jsdelivr\.net/npm/vega[^"]*"></script>\s*""")
INTEGRITY = re.compile(r"""\s(?:integrity="[^"]*"|crossorigin="[^"]*")""")


def docs_root(home: Home) -> Path:
    return home.root / "docs"


def gx_docs_index(home: Home) -> Path:
    """The stable front page of the offline GX Data Docs."""
    return docs_root(home) / "gx" / "index.html"


def dbt_docs_index(home: Home) -> Path:
    """The stable front page of the offline dbt docs (one self-contained file)."""
    return docs_root(home) / "dbt" / "index.html"


def offline_page(html: str, to_static: str) -> str:
    """A GX page with every CDN asset pointing to the shipped copy, vega dropped, the tracking
    logo replaced by the local one; `to_static` is the relative path from the page to static/."""
    html = INTEGRITY.sub("", VEGA.sub("", html))

    def local(match: re.Match) -> str:
        url = match.group(2)
        if "great-expectations-web-assets" in url and "logo-long" in url:
            return f"{match.group(1)}{to_static}/images/logo-long.png{match.group(3)}"
        for prefix, name in GX_CDN.items():
            if url.startswith(prefix):
                return f"{match.group(1)}{to_static}/vendor/{name}{match.group(3)}"
        raise ValueError(f"GX Data Docs load an unknown remote asset: {url}")

    return LOADED.sub(local, html)


def publish_gx_docs(home: Home) -> Path | None:
    """Copy the GX Data Docs site of the home to <home>/docs/gx with its assets shipped; None
    before the first validation."""
    site = home.root / "gx" / "uncommitted" / "data_docs" / "local_site"
    if not (site / "index.html").exists():
        return None
    target = gx_docs_index(home).parent
    staging = target.with_name(".gx.part")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(site, staging)
    shutil.copytree(GX_ASSETS, staging / VENDOR, ignore=shutil.ignore_patterns("README.md"))
    for page in staging.rglob("*.html"):
        depth = len(page.relative_to(staging).parts) - 1
        to_static = "/".join([".."] * depth + ["static"])
        page.write_text(offline_page(page.read_text(encoding="utf-8"), to_static), encoding="utf-8")
    old = target.with_name(".gx.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
    return target / "index.html"


def build_dbt_docs(home: Home) -> Path:
    """`dbt docs generate --static` for this home's warehouse, copied to <home>/docs/dbt/index.html
    (manifest and catalogue inside the page; usage tracking off, so the page calls nobody)."""
    from orchestration.defs.dbt import dbt_resource, dbt_target, dbt_vars

    target = dbt_target(home, "docs")
    dbt_resource().cli(
        ["docs", "generate", "--static", "--vars", json.dumps(dbt_vars(home))], target_path=target, raise_on_error=True
    ).wait()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    if manifest["metadata"].get("send_anonymous_usage_stats"):
        raise RuntimeError("dbt usage tracking is on: set DBT_SEND_ANONYMOUS_USAGE_STATS=false")
    index = dbt_docs_index(home)
    index.parent.mkdir(parents=True, exist_ok=True)
    part = index.with_suffix(".html.part")
    shutil.copyfile(target / "static_index.html", part)
    os.replace(part, index)
    return index


def docs_server(home: Home, port: int) -> ThreadingHTTPServer:
    """An HTTP server for <home>/docs on 127.0.0.1 only (port 0: any free port)."""
    handler = functools.partial(_QuietHandler, directory=str(docs_root(home)))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass
