"""Reports for the office, on the session demo run: the scoring runs published every period's
reports; the workbook, the draft text and the web scorecard are read back and compared with the
published marts; the scorecard is opened in headless Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from orchestration.cli import main
from orchestration.reports import build as report_build
from orchestration.reports.build import build_report, reports_root
from orchestration.reports.data import ReportError, load
from orchestration.reports.document import document_name, write_document
from orchestration.reports.provenance import provenance
from orchestration.reports.text import LIGHT_ZH
from orchestration.reports.workbook import LIGHT_FILL, Column, _Writer, workbook_name
from tests.ops_helpers import free_port, wait_for

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
QUARTER = "2024Q4"


@pytest.fixture(scope="module")
def report(demo_run, tmp_path_factory) -> Path:
    """The latest quarter's reports made by `wuxing report PERIOD --out DIR` (the CLI path)."""
    assert demo_run.succeeded
    out = tmp_path_factory.mktemp("reports")
    assert main(["report", QUARTER, "--home", str(demo_run.home.root), "--out", str(out)]) == 0
    return out / QUARTER


def _close(a, b) -> bool:
    """Both missing, or the same number (the workbook stores the mart's double as it is)."""
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    return all(missing) or (not any(missing) and float(a) == float(b))


def test_every_scoring_run_published_the_reports_of_its_periods(demo_run):
    """The period_reports asset ran after each publish: every scored period has its reports, stating
    the scoring run and exactly the current accepted returns."""
    from orchestration.instance import instance_for

    periods = [p for (p,) in demo_run.query("select distinct period from marts.mart_unit_rankings")]
    years = [y for (y,) in demo_run.query("select distinct year from marts.mart_unit_annual_scores")]
    root = reports_root(demo_run.home)
    instance = instance_for(demo_run.home)
    for period in periods + years:
        folder = root / period
        assert folder.is_symlink() and (folder / "site" / "index.html").exists(), period
        assert (folder / workbook_name(period)).exists() and (folder / document_name(period)).exists()
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        run = instance.get_run_by_id(manifest["dagster_run_id"])
        assert run is not None and run.job_name == "score_periods"
        quarters = [period] if "Q" in period else [f"{period}Q{q}" for q in range(1, 5)]
        expected = {
            sha
            for (sha,) in demo_run.query(
                "select sha256 from marts.mart_return_log where status = 'accepted' and is_current and period = any(?)",
                [quarters],
            )
        }
        assert {r["sha256"] for r in manifest["returns"]} == expected
        assert set(manifest["files"]) >= {workbook_name(period), "site/index.html"}
    assert not list(root.glob(".*.link")), "a half-swapped link was left behind"


def test_workbook_numbers_equal_the_marts_and_no_cell_is_a_formula(demo_run, report):
    book = openpyxl.load_workbook(report / workbook_name(QUARTER))
    formulas = [
        f"{ws.title}!{c.coordinate}" for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    groups = demo_run.query("select distinct peer_group_name from marts.mart_unit_rankings where period = ?", [QUARTER])
    rankings = {
        r[0]: r
        for r in demo_run.query(
            "select unit_code, rank_in_group, total_score, bonus, deduction, grade, light, score_change_qoq, "
            "rank_change_qoq from marts.mart_unit_rankings where period = ?",
            [QUARTER],
        )
    }
    dims = {
        (u, d): s
        for u, d, s in demo_run.query(
            "select unit_code, dimension_name_zh, score from marts.fct_dimension_scores where period = ?", [QUARTER]
        )
    }
    parts = {
        (u, p): s
        for u, p, s in demo_run.query(
            "select unit_code, part_name_zh, score from marts.fct_part_scores where period = ?", [QUARTER]
        )
    }
    seen = 0
    for (group,) in groups:
        ws = book[group[:31]]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, values_only=True):
            cells = dict(zip(header, row))
            code, rank, total, bonus, deduction, grade, light, change, rank_change = rankings[cells["单位代码"]]
            assert cells["名次"] == rank and _close(cells["总分"], total)
            assert _close(cells["加分"], bonus) and _close(cells["扣分"], deduction)
            assert cells["等次"] == grade and cells["亮灯"] == LIGHT_ZH[light]
            assert _close(cells["较上季度得分"], change) and _close(cells["名次变化"], rank_change)
            for (unit, name), score in dims.items():
                if unit == code:
                    assert _close(cells[name], score), (code, name)
            for (unit, name), score in parts.items():
                if unit == code:
                    assert _close(cells[name], score), (code, name)
            seen += 1
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert seen == len(rankings)
    # every indicator score, with its names, equal to fct_indicator_scores
    ws = book["指标得分"]
    header = [c.value for c in ws[1]]
    marts = {
        (u, i): (raw, target, score, light)
        for u, i, raw, target, score, light in demo_run.query(
            "select unit_code, indicator_code, raw_value, target, score, light from marts.fct_indicator_scores "
            "where period = ?",
            [QUARTER],
        )
    }
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == len(marts)
    for r in rows:
        raw, target, score, light = marts[(r["单位代码"], r["指标代码"])]
        assert _close(r["填报值"], raw) and _close(r["目标值"], target) and _close(r["得分"], score)
        assert r["亮灯"] == (LIGHT_ZH[light] if light else None) and r["指标名称"]
    assert (
        ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{len(rows) + 1}"
    )


def test_year_workbook_ranks_the_annual_scores(demo_run):
    year = demo_run.query("select max(year) from marts.mart_unit_annual_scores")[0][0]
    book = openpyxl.load_workbook(reports_root(demo_run.home) / year / workbook_name(year))
    annual = {
        u: (rank, score)
        for u, rank, score in demo_run.query(
            "select unit_code, rank_in_group, annual_score from marts.mart_unit_annual_scores where year = ?", [year]
        )
    }
    quarterly = {
        (u, p): s
        for u, p, s in demo_run.query(
            "select unit_code, period, total_score from marts.mart_unit_rankings where period like ? || 'Q_'", [year]
        )
    }
    rows = 0
    for ws in book.worksheets[1:-1]:  # between the cover and the return log: one sheet per peer group
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, values_only=True):
            cells = dict(zip(header, row))
            assert (cells["名次"], cells["年度得分"]) == annual[cells["单位代码"]]
            for q in range(1, 5):
                assert _close(cells[f"Q{q}得分"], quarterly.get((cells["单位代码"], f"{year}Q{q}")))
            rows += 1
    assert rows == len(annual)


def _rule_colours(ws) -> dict[str, str]:
    """Conditional-format rules of a sheet: the text each matches -> its fill colour (RRGGBB)."""
    colours = {}
    for rng in ws.conditional_formatting:
        for rule in rng.rules:
            colours[rule.formula[0].strip('"')] = rule.dxf.fill.bgColor.rgb[-6:]
    return colours


def test_workbook_colours_follow_the_lights(demo_run, report):
    book = openpyxl.load_workbook(report / workbook_name(QUARTER))
    expected = {LIGHT_ZH[light]: fill[0].lstrip("#").upper() for light, fill in LIGHT_FILL.items()}
    group = demo_run.query("select peer_group_name from marts.mart_unit_rankings where period = ? limit 1", [QUARTER])[
        0
    ][0]
    ws = book[group[:31]]
    assert _rule_colours(ws) == expected
    column = [c.value for c in ws[1]].index("亮灯") + 1
    letter = ws.cell(1, column).column_letter
    ranges = [str(r.sqref) for r in ws.conditional_formatting]
    assert all(r == f"{letter}2:{letter}{ws.max_row}" for r in ranges)
    matrix = book["亮灯矩阵"]
    assert set(_rule_colours(matrix).values()) == set(expected.values())
    reds = {
        (u, i)
        for u, i in demo_run.query(
            "select unit_code, indicator_code from marts.fct_indicator_scores where period = ? and light = 'red'",
            [QUARTER],
        )
    }
    header = [c.value for c in matrix[1]]
    shown = {
        (row[1], header[c].split()[0])
        for row in matrix.iter_rows(min_row=2, values_only=True)
        for c, value in enumerate(row)
        if value == "红"
    }
    assert shown == {pair for pair in reds if any(h.startswith(pair[1] + " ") for h in header[3:])}


def test_cover_states_period_coverage_status_and_run(demo_run, report):
    ws = openpyxl.load_workbook(report / workbook_name(QUARTER))["封面"]
    cover = {row[0]: row[1] for row in ws.iter_rows(min_row=3, values_only=True) if row[0]}
    expected, accepted, state = demo_run.query(
        "select unit_returns_expected, unit_returns_accepted, state from marts.mart_period_status where period = ?",
        [QUARTER],
    )[0]
    assert cover["期次 Period"] == QUARTER
    assert cover["被考核单位报送 Units reported"] == f"{accepted} / {expected}"
    assert cover["结果状态 Status"].startswith({"final": "定稿", "provisional": "暂定", "collecting": "填报中"}[state])
    assert "北京时间" in cover["生成时间 Generated at"]
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert cover["数据来源运行 Dagster run"] == manifest["dagster_run_id"] is not None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (scripts install it for CI)")
def test_libreoffice_opens_and_prints_the_workbook(report, tmp_path):
    """A real spreadsheet program loads the workbook and prints it (A4 landscape) without complaint."""
    out = tmp_path / "pdf"
    done = subprocess.run(
        [
            shutil.which("soffice"),
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(report / workbook_name(QUARTER)),
        ],
        capture_output=True,
        timeout=300,
    )
    pdf = out / workbook_name(QUARTER).replace(".xlsx", ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    import pandas as pd

    path = tmp_path / "guard.xlsx"
    writer = _Writer(path)
    ws = writer.sheet("t", "t")
    texts = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "正常文本"]
    writer.table(ws, pd.DataFrame({"t": texts}), [Column("文本", "t")])
    writer.book.close()
    cells = list(openpyxl.load_workbook(path)["t"].iter_rows(min_row=2))
    assert [c[0].value for c in cells] == texts
    assert all(c[0].data_type == "s" for c in cells)
    assert [c[0].quotePrefix for c in cells] == [True, True, True, True, False]


def test_draft_document_names_the_leaders_with_their_scores(demo_run, report):
    doc = Document(str(report / document_name(QUARTER)))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = ["\t".join(c.text for c in row.cells) for t in doc.tables for row in t.rows]
    firsts = demo_run.query(
        "select peer_group_name, unit_name, total_score from marts.mart_unit_rankings "
        "where period = ? and rank_in_group = 1",
        [QUARTER],
    )
    for group, unit, score in firsts:
        assert f"{group}中{unit}以{score:.2f}分位列第一" in text
    for unit, score in demo_run.query(
        "select unit_name, total_score from marts.mart_unit_rankings where period = ?", [QUARTER]
    ):
        assert any(f"{unit}\t{score:.2f}" in row for row in tables), unit
    assert "2024年第四季度" in text and "[[" not in text


def test_the_office_edits_the_wording_without_code(demo_run, tmp_path):
    home_root = tmp_path / "home"
    own = home_root / "report_templates"
    own.mkdir(parents=True)
    (own / "quarter.txt.j2").write_text(
        "# {{ period_zh }}考核情况简报\n本期共 {{ ranked }} 个单位参加排名。\n", encoding="utf-8"
    )
    data = load(demo_run.home.published, QUARTER)
    path = write_document(data, provenance("run", data.publication), tmp_path, home_root)
    paragraphs = [p.text for p in Document(str(path)).paragraphs]
    assert paragraphs == ["2024年第四季度考核情况简报", f"本期共 {len(data.rankings)} 个单位参加排名。"]


def test_a_period_without_scores_is_a_clear_error(demo_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "2027Q1", "--home", str(demo_run.home.root), "--out", str(out)]) == 2
    assert "2027Q1 没有分数" in capsys.readouterr().err
    assert main(["report", "2024Q5", "--home", str(demo_run.home.root), "--out", str(out)]) == 2
    assert "未知期次" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(ReportError):
        load(tmp_path / "no-home", QUARTER)


@pytest.mark.slow
def test_reports_are_swapped_in_whole_or_not_at_all(demo_run, tmp_path, monkeypatch):
    first = build_report(demo_run.home, QUARTER, out=tmp_path, run_id="first")
    before = first.folder.resolve()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_build, "write_workbook", broken)
    with pytest.raises(RuntimeError):
        build_report(demo_run.home, QUARTER, out=tmp_path, run_id="second")
    assert first.folder.resolve() == before  # readers still see the complete first set
    assert sorted(p.name for p in (tmp_path / ".versions" / QUARTER).iterdir()) == [before.name]
    monkeypatch.undo()
    for _ in range(report_build.KEEP_VERSIONS + 1):
        latest = build_report(demo_run.home, QUARTER, out=tmp_path, run_id="again")
    assert len(list((tmp_path / ".versions" / QUARTER).iterdir())) == report_build.KEEP_VERSIONS
    assert json.loads((latest.folder / "manifest.json").read_text(encoding="utf-8"))["dagster_run_id"] == "again"


def test_report_serve_is_read_only_on_loopback(demo_run, report):
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("wuxing")),
            "report",
            "--serve",
            "--port",
            str(port),
            "--out",
            str(report.parent),
            "--home",
            str(demo_run.home.root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def index():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{QUARTER}/site/index.html", timeout=2) as r:
                    return r.read().decode("utf-8")
            except OSError:
                return None

        assert "计分卡" in wait_for(index, 30, what="the report server")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/x", data=b"x", method="POST"))
        assert refused.value.code == 405
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ci-system-deps.sh)")
def test_scorecard_renders_offline_in_chromium(demo_run, report):
    """Index, map, one county's and one department's profile: no console error, no request outside
    file://, the charts drawn; screenshots kept in test-artifacts/."""
    from playwright.sync_api import sync_playwright

    site = report / "site"
    county, department = (
        demo_run.query(
            "select min(unit_code) from marts.mart_unit_rankings where period = ? and tier = ?", [QUARTER, tier]
        )[0][0]
        for tier in ("county", "department")
    )
    sources = demo_run.query(
        "select file_name from marts.mart_indicator_sources where period = ? and unit_code = ?", [QUARTER, county]
    )
    ranked = demo_run.query("select count(*) from marts.mart_unit_rankings where period = ?", [QUARTER])[0][0]
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {
        "index": "index.html",
        "map": "map.html",
        "county": f"units/{county}.html",
        "department": f"units/{department}.html",
        "redblack": "redblack.html",
        "returns": "returns.html",
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, page_path in pages.items():
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                errors, outside = [], []
                page.on("console", lambda m: m.type == "error" and errors.append(m.text))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: not r.url.startswith("file://") and outside.append(r.url))
                page.goto((site / page_path).as_uri())
                page.wait_for_load_state("load")
                page.wait_for_timeout(800)  # ECharts animates in
                page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
                assert errors == [] and outside == [], (name, errors, outside)
                if name == "index":
                    assert page.locator("#scorecard tbody tr").count() == ranked
                    page.select_option("#group-filter", "county_1")
                    visible = page.locator("#scorecard tbody tr:visible").count()
                    assert 0 < visible < ranked
                if name == "map":
                    assert page.locator("#map canvas").count() >= 1 and page.locator("#departments canvas").count() >= 1
                if name in ("county", "department"):
                    for chart in ("radar", "history", "contrib"):
                        assert page.locator(f"#{chart} canvas").count() >= 1, (name, chart)
                    assert page.locator("table.indicators tbody tr").count() > 0
                if name == "county":
                    assert sources and sources[0][0] in page.content()
                page.close()
        finally:
            browser.close()
    assert (ARTIFACTS / "report-map.png").stat().st_size > 20_000
