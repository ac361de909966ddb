"""The 通报 workbook (<period>_考核结果通报.xlsx), written with xlsxwriter.

xlsxwriter rather than openpyxl: it writes conditional formats, print set-up and frozen panes in a
single streaming pass (fast for the 4,500-row indicator sheet), and its output opens cleanly in
Excel, WPS and LibreOffice; openpyxl is used by the tests to read the file back.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter

from orchestration.reports.data import ReportData
from orchestration.reports.provenance import Provenance
from orchestration.reports.text import (
    LIGHT_SHORT,
    LIGHT_ZH,
    STATUS_ZH,
    beijing_or_dash,
    display_width,
    looks_like_formula,
    period_zh,
)

LIGHT_FILL = {"green": ("#C6EFCE", "#006100"), "yellow": ("#FFEB9C", "#9C5700"), "red": ("#FFC7CE", "#9C0006")}
NUMBER_FORMATS = {
    "score": "0.00",
    "raw": "#,##0.####",
    "int": "0",
    "change": "▲0.00;[Red]▼0.00;0.00",
    "rank_change": '▲0;[Red]▼0;"—"',
}
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, source column in the frame, and how to write it."""

    header: str
    key: str
    kind: str = "text"  # text, score, raw, int, change, rank_change, light


def workbook_name(period: str) -> str:
    return f"{period}_考核结果通报.xlsx"


class _Writer:
    """The workbook, its shared formats and the table writer."""

    def __init__(self, path: Path):
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
            },
        )
        base = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "vcenter"}
        self.text = self.book.add_format(base)
        self.guarded = self.book.add_format({**base, "quote_prefix": True})
        self.header = self.book.add_format(
            {**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"}
        )
        self.title = self.book.add_format({**base, "bold": True, "font_size": 16})
        self.label = self.book.add_format({**base, "bold": True})
        self.numbers = {kind: self.book.add_format({**base, "num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
        self.lights = {
            light: self.book.add_format({"bg_color": bg, "font_color": fg}) for light, (bg, fg) in LIGHT_FILL.items()
        }

    def sheet(self, name: str, title: str):
        """A new worksheet set up for A4 landscape printing, one page wide, with a title header."""
        ws = self.book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "_", name)[:31])  # Excel's sheet-name rules
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f'&C&"Microsoft YaHei,Bold"{title.replace("&", "&&")}')
        ws.set_footer("&C第 &P 页，共 &N 页")
        return ws

    def put(self, ws, row: int, col: int, value, kind: str = "text") -> None:
        """One cell: numbers as numbers, text always as text (quote prefix when it looks like a formula)."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            ws.write_blank(row, col, None, self.numbers.get(kind, self.text))
        elif kind == "light":
            ws.write_string(row, col, LIGHT_ZH.get(value, str(value)), self.text)
        elif kind in NUMBER_FORMATS:
            ws.write_number(row, col, float(value), self.numbers[kind])
        else:
            text = str(value)
            ws.write_string(row, col, text, self.guarded if looks_like_formula(text) else self.text)

    def column(self, ws, first_row: int, col: int, cells: list, kind: str) -> None:
        """One column of values, written the way `put` writes a cell (a loop per kind, for speed)."""
        if kind in NUMBER_FORMATS:
            number_format = self.numbers[kind]
            for row, value in enumerate(cells, start=first_row):
                if value is None or value is pd.NA or value != value:  # NaN
                    ws.write_blank(row, col, None, number_format)
                else:
                    ws.write_number(row, col, float(value), number_format)
        else:
            for row, value in enumerate(cells, start=first_row):
                self.put(ws, row, col, value, kind)

    def table(self, ws, frame: pd.DataFrame, columns: list[Column], first_row: int = 0) -> None:
        """A header row and one row per frame row, with filter, frozen header, widths and light colours."""
        for c, column in enumerate(columns):
            ws.write_string(first_row, c, column.header, self.header)
        ws.set_row(first_row, 30)  # two lines of a wrapped header
        values = [frame[col.key].tolist() if col.key in frame.columns else [None] * len(frame) for col in columns]
        for c, (column, cells) in enumerate(zip(columns, values)):
            self.column(ws, first_row + 1, c, cells, column.kind)
            shown = [
                LIGHT_ZH.get(v, v)
                if column.kind == "light"
                else (f"{v:.2f}" if isinstance(v, float) and not math.isnan(v) else v)
                for v in cells[:500]
            ]
            width = max(
                [display_width(column.header) // 2 + 2] + [display_width(v) + 2 for v in shown if v is not None]
            )
            ws.set_column(c, c, min(width, MAX_WIDTH))
        last = first_row + len(frame)
        ws.freeze_panes(first_row + 1, 0)
        ws.repeat_rows(first_row)
        if len(frame):
            ws.autofilter(first_row, 0, last, len(columns) - 1)
        for c, column in enumerate(columns):
            if column.kind == "light" and len(frame):
                self.colour_lights(ws, first_row + 1, c, last, c, LIGHT_ZH)

    def colour_lights(self, ws, r0: int, c0: int, r1: int, c1: int, words: dict[str, str]) -> None:
        """Conditional formats: a cell whose text is a light's word takes the light's colour."""
        for light, word in words.items():
            ws.conditional_format(
                r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": self.lights[light]}
            )


def _cover(w: _Writer, data: ReportData, provenance: Provenance) -> None:
    ws = w.sheet("封面", f"{period_zh(data.period)}考核结果通报")
    cov = data.coverage
    ws.write_string(0, 0, f"{period_zh(data.period)}“五型”政府建设综合考核结果通报", w.title)
    rows = [
        ("期次 Period", data.period),
        ("指标体系版本 Framework version", "、".join(data.framework_versions) or "—"),
        ("被考核单位报送 Units reported", f"{cov.units_reported} / {cov.units_expected}"),
        ("评价机构报送 Evaluators reported", f"{cov.evaluators_reported} / {cov.evaluators_expected}"),
        ("结果状态 Status", cov.status),
        ("状态依据 Basis", cov.status_basis),
        ("参评单位数 Units ranked", len(data.rankings)),
        ("有效填报文件 Returns used", f"{len(data.current_returns)} 份（清单见“填报情况”表与 manifest.json）"),
        ("生成时间 Generated at", provenance.generated_at),
        ("数据来源运行 Dagster run", provenance.run_id or "—"),
        ("发布快照 Publication", provenance.publication),
        (
            "说明 Note",
            "分数取自发布库（published/wuxing.duckdb），显示保留两位小数，单元格内为原值；"
            "灯色：绿灯 良好及以上，黄灯 一般，红灯 较差。",
        ),
    ]
    for r, (label, value) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, w.label)
        w.put(ws, r, 1, value, "int" if isinstance(value, int) else "text")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 90)


def _group_columns(data: ReportData) -> list[Column]:
    if data.is_year:
        return [
            Column("名次", "rank_in_group", "int"),
            Column("单位代码", "unit_code"),
            Column("单位", "unit_name"),
            Column("年度得分", "total_score", "score"),
            Column("计分季度数", "quarters_scored", "int"),
            *[Column(f"{q[4:]}得分", f"q_{q}", "score") for q in data.quarters],
            Column("汇总方式", "annual_rollup"),
            Column("指标体系", "framework_version"),
        ]
    return [
        Column("名次", "rank_in_group", "int"),
        Column("单位代码", "unit_code"),
        Column("单位", "unit_name"),
        Column("总分", "total_score", "score"),
        *[Column(name, f"dim_{code}", "score") for code, name in data.dimensions],
        *[Column(name, f"part_{code}", "score") for code, name in data.parts],
        Column("加分", "bonus", "score"),
        Column("扣分", "deduction", "score"),
        Column("等次", "grade"),
        Column("亮灯", "light", "light"),
        Column("较上季度得分", "score_change_qoq", "change"),
        Column("名次变化", "rank_change_qoq", "rank_change"),
        Column("较上年同期得分", "score_change_yoy", "change"),
    ]


def _groups(w: _Writer, data: ReportData) -> None:
    columns = _group_columns(data)
    for code, name, _tier in data.peer_groups:
        frame = data.rankings[data.rankings.peer_group == code]
        ws = w.sheet(name, f"{period_zh(data.period)} {name} 考核排名")
        w.table(ws, frame, columns)


def _red_black(w: _Writer, data: ReportData) -> None:
    ws = w.sheet("红黑榜", f"{period_zh(data.period)} 红黑榜")
    names = dict((code, name) for code, name, _ in data.peer_groups)
    frame = data.red_black.assign(peer_group_name=data.red_black.peer_group.map(names))
    w.table(
        ws,
        frame,
        [
            Column("组别", "peer_group_name"),
            Column("榜单", "list_zh"),
            Column("榜内序号", "list_rank", "int"),
            Column("单位代码", "unit_code"),
            Column("单位", "unit_name"),
            Column("总分", "total_score", "score"),
            Column("组内名次", "rank_in_group", "int"),
            Column("组内单位数", "group_size", "int"),
            Column("较上季度得分", "score_change_qoq", "change"),
            Column("名次变化", "rank_change_qoq", "rank_change"),
        ],
    )


def _light_matrix(w: _Writer, data: ReportData) -> None:
    """Units down, indicators across, each cell the indicator's light (绿/黄/红; blank when not applicable)."""
    ws = w.sheet("亮灯矩阵", f"{period_zh(data.period)} 单位×指标 亮灯矩阵")
    scored = data.indicators[data.indicators.kind == "scored"]
    indicators = scored[["indicator_code", "indicator_name_zh"]].drop_duplicates().sort_values("indicator_code")
    lights = scored.pivot(index="unit_code", columns="indicator_code", values="light")
    heads = ["组别", "单位代码", "单位"] + [f"{c} {n}" for c, n in indicators.itertuples(index=False)]
    for c, head in enumerate(heads):
        ws.write_string(0, c, head, w.header)
    for r, unit in enumerate(data.rankings.itertuples(index=False), start=1):
        ws.write_string(r, 0, unit.peer_group_name, w.text)
        ws.write_string(r, 1, unit.unit_code, w.text)
        ws.write_string(r, 2, unit.unit_name, w.text)
        for c, code in enumerate(indicators.indicator_code, start=3):
            light = lights.at[unit.unit_code, code] if unit.unit_code in lights.index else None
            if isinstance(light, str):
                ws.write_string(r, c, LIGHT_SHORT.get(light, light), w.text)
    last = len(data.rankings)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, 22)
    ws.set_column(3, len(heads) - 1, 5)
    ws.set_row(0, 150)
    ws.freeze_panes(1, 3)
    ws.repeat_rows(0)
    ws.autofilter(0, 0, last, len(heads) - 1)
    if last:
        w.colour_lights(ws, 1, 3, last, len(heads) - 1, LIGHT_SHORT)


def _indicator_scores(w: _Writer, data: ReportData) -> None:
    ws = w.sheet("指标得分", f"{period_zh(data.period)} 指标得分明细")
    w.table(
        ws,
        data.indicators,
        [
            Column("组别", "peer_group_name"),
            Column("单位代码", "unit_code"),
            Column("单位", "unit_name"),
            Column("指标代码", "indicator_code"),
            Column("指标名称", "indicator_name_zh"),
            Column("一级指标", "dimension_name_zh"),
            Column("二级指标", "measure_name_zh"),
            Column("计分方法", "method"),
            Column("计量单位", "unit_of_measure"),
            Column("填报值", "raw_value", "raw"),
            Column("目标值", "target", "raw"),
            Column("得分", "score", "score"),
            Column("满分", "max_score", "score"),
            Column("亮灯", "light", "light"),
            Column("组内名次", "peer_rank", "int"),
            Column("组内单位数", "peer_count", "int"),
            Column("来源文件", "file_name"),
            Column("工作表", "sheet"),
            Column("行号", "source_row", "int"),
        ],
    )


def _return_log(w: _Writer, data: ReportData) -> None:
    ws = w.sheet("填报情况", f"{period_zh(data.period)} 填报与退回情况")
    frame = data.return_log.assign(
        status_zh=data.return_log.status.map(STATUS_ZH).fillna(data.return_log.status),
        landed=[
            beijing_or_dash(r if not pd.isna(r) else f)
            for r, f in zip(data.return_log.landed_at, data.return_log.received_at)
        ],
    )
    w.table(
        ws,
        frame,
        [
            Column("期次", "period"),
            Column("报送单位代码", "unit_code"),
            Column("报送单位", "submitter_name"),
            Column("文件", "file_name"),
            Column("类型", "return_type"),
            Column("版本", "version", "int"),
            Column("结论", "status_zh"),
            Column("送达时间", "landed"),
            Column("错误数", "error_count", "int"),
            Column("提示数", "warning_count", "int"),
            Column("退回原因", "reasons"),
            Column("SHA-256", "sha256"),
        ],
    )


def write_workbook(data: ReportData, provenance: Provenance, folder: Path) -> Path:
    """Write the workbook into `folder`; returns its path."""
    path = folder / workbook_name(data.period)
    w = _Writer(path)
    _cover(w, data, provenance)
    _groups(w, data)
    if not data.is_year:
        _red_black(w, data)
        _light_matrix(w, data)
        _indicator_scores(w, data)
    _return_log(w, data)
    w.book.close()
    return path
