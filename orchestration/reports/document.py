"""The draft 通报 (<period>_考核结果通报（草稿）.docx): python-docx, its wording from Jinja templates.

The templates are plain text files the office edits without touching code: the package's own in
templates/document/, or a copy in <home>/report_templates/ which then takes precedence.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from orchestration.reports.data import ReportData
from orchestration.reports.provenance import Provenance
from orchestration.reports.text import LIGHT_ZH, period_zh

TEMPLATES = Path(__file__).parent / "templates" / "document"
OVERRIDE = "report_templates"
RANKING = re.compile(r"\[\[排名表:([^\]]+)\]\]")
MARKER = re.compile(r"(\[\[[^\]]+\]\])")
RED_BLACK = "[[红黑榜]]"
LIGHT_FILL = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}
FONT = "仿宋"


def _rank(value) -> str:
    """A rank as text; 暂不排名 for a unit not ranked (数据不全)."""
    return "暂不排名" if pd.isna(value) else str(int(value))


def document_name(period: str) -> str:
    return f"{period}_考核结果通报（草稿）.docx"


def _score(value) -> str:
    return "—" if pd.isna(value) else f"{float(value):.2f}"


def _who(rows: pd.DataFrame, index: int) -> dict | None:
    if len(rows) <= index:
        return None
    row = rows.iloc[index]
    return {"name": row.unit_name, "score": _score(row.total_score)}


def context(data: ReportData, prov: Provenance) -> dict:
    """The variables the templates may use."""
    groups = []
    for code, name, _ in data.peer_groups:
        rows = data.rankings[data.rankings.peer_group == code].sort_values("rank_in_group")
        group = {
            "code": code,
            "name": name,
            "first": _who(rows, 0),
            "second": _who(rows, 1),
            "third": _who(rows, 2),
            "riser": None,
            "faller": None,
        }
        if not data.is_year:
            movers = data.red_black[data.red_black.peer_group == code]
            for key, list_code in (("riser", "riser"), ("faller", "faller")):
                top = movers[(movers.list == list_code) & (movers.list_rank == 1)]
                if len(top):
                    row = top.iloc[0]
                    group[key] = {
                        "name": row.unit_name,
                        "change": f"{abs(row.score_change_qoq):.2f}",
                        "rank_change": int(row.rank_change_qoq) if row.rank_change_qoq > 0 else 0,
                    }
        groups.append(group)
    rankings = data.rankings
    lights = rankings["light"] if "light" in rankings else pd.Series(None, index=rankings.index, dtype=object)
    red_indicators = []
    if not data.is_year and len(data.indicators):
        reds = data.indicators[(data.indicators.light == "red") & (data.indicators.kind == "scored")]
        counts = reds.groupby(["indicator_code", "indicator_name_zh"]).size().sort_values(ascending=False).head(3)
        red_indicators = [{"code": c, "name": n, "count": int(k)} for (c, n), k in counts.items()]
    reported = set(data.current_returns[data.current_returns.return_type == "unit"].unit_code)
    cov = data.coverage
    return {
        "period": data.period,
        "period_zh": period_zh(data.period),
        "status": cov.status.split(" / ")[0],
        "generated_at": prov.generated_at,
        "units_expected": cov.units_expected,
        "units_reported": cov.units_reported,
        "evaluators_expected": cov.evaluators_expected,
        "evaluators_reported": cov.evaluators_reported,
        "ranked": len(rankings),
        "groups": groups,
        "grades": rankings.grade.value_counts().to_dict() if "grade" in rankings else {},
        "red_units": list(rankings[lights == "red"].unit_name),
        "yellow_units": list(rankings[lights == "yellow"].unit_name),
        "red_indicators": red_indicators,
        "missing": []
        if data.is_year
        else [r.unit_name for r in data.units.itertuples() if r.unit_code not in reported],
    }


def template_text(home_root: Path | None, period_is_year: bool) -> str:
    """The template's text: the home's own copy if the office made one, else the package's."""
    name = "year.txt.j2" if period_is_year else "quarter.txt.j2"
    own = home_root / OVERRIDE / name if home_root else None
    return (own if own and own.exists() else TEMPLATES / name).read_text(encoding="utf-8")


def _font(run, size: float | None = None, bold: bool = False) -> None:
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _shade(cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(
    doc,
    header: list[str],
    rows: list[list[str]],
    lights: list[str | None] | None = None,
    light_column: int | None = None,
) -> None:
    """A grid table in the table style's 10.5 pt font; the light column shaded by each row's light."""
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].add_run(text).bold = True
    for index, (row, values) in enumerate(zip(table.rows[1:], rows)):
        cells = row.cells
        for cell, text in zip(cells, values):
            cell.paragraphs[0].add_run(text)
        if lights and light_column is not None and lights[index] in LIGHT_FILL:
            _shade(cells[light_column], LIGHT_FILL[lights[index]])


def _ranking_table(doc, data: ReportData, group: str) -> None:
    rows = data.rankings[data.rankings.peer_group == group].sort_values("rank_in_group")
    if data.is_year:
        _table(
            doc,
            ["名次", "单位", "年度得分", "计分季度数"],
            [
                [_rank(r.rank_in_group), r.unit_name, _score(r.total_score), str(r.quarters_scored)]
                for r in rows.itertuples()
            ],
        )
        return
    changes = [
        (
            "—"
            if pd.isna(r.score_change_qoq)
            else ("▲" if r.score_change_qoq > 0 else "▼" if r.score_change_qoq < 0 else "")
            + f"{abs(r.score_change_qoq):.2f}"
        )
        for r in rows.itertuples()
    ]
    _table(
        doc,
        ["名次", "单位", "总分", "等次", "亮灯", "较上季度"],
        [
            [_rank(r.rank_in_group), r.unit_name, _score(r.total_score), r.grade, LIGHT_ZH.get(r.light, "—"), change]
            for r, change in zip(rows.itertuples(), changes)
        ],
        list(rows.light),
        light_column=4,
    )


def _red_black_table(doc, data: ReportData) -> None:
    names = {code: name for code, name, _ in data.peer_groups}
    lists = data.red_black[data.red_black.list.isin(["red", "black"])]
    _table(
        doc,
        ["组别", "榜单", "单位", "总分", "组内名次"],
        [
            [
                names.get(r.peer_group, r.peer_group),
                r.list_zh,
                r.unit_name,
                _score(r.total_score),
                _rank(r.rank_in_group),
            ]
            for r in lists.itertuples()
        ],
    )


def write_document(data: ReportData, prov: Provenance, folder: Path, home_root: Path | None = None) -> Path:
    """Render the template and lay it out as a .docx in `folder`; returns its path."""
    text = (
        jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
        .from_string(template_text(home_root, data.is_year))
        .render(**context(data, prov))
    )
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc.styles["Table Grid"].font.size = Pt(10.5)
    lines = (part.strip() for raw in text.splitlines() for part in MARKER.split(raw))
    for line in lines:
        if not line:
            continue
        if line.startswith("## "):
            _font(doc.add_paragraph().add_run(line[3:]), 15, bold=True)
        elif line.startswith("# "):
            paragraph = doc.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(line[2:]), 20, bold=True)
        elif match := RANKING.fullmatch(line):
            _ranking_table(doc, data, match.group(1))
        elif line == RED_BLACK:
            _red_black_table(doc, data)
        else:
            paragraph = doc.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(28)
            _font(paragraph.add_run(line))
    path = folder / document_name(data.period)
    doc.save(str(path))
    return path
