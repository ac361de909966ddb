"""The offline web scorecard: static pages rendered with Jinja, charts drawn by the vendored ECharts.

Every page carries its own data in a JSON block, so the folder opens from file:// with no request
outside it; assets/ holds the stylesheet, the script, ECharts and the Jiangxi boundaries.
"""

from __future__ import annotations

import json
import math
import shutil
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd

from orchestration.reports.data import ReportData
from orchestration.reports.provenance import Provenance
from orchestration.reports.text import LIGHT_SHORT, LIGHT_ZH, STATUS_ZH, beijing_or_dash, period_zh

HERE = Path(__file__).parent
STATIC = HERE / "static"
MAP_FILE = STATIC / "vendor" / "jiangxi-map.js"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates" / "site"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _num(value) -> float | None:
    """A float, or None for a missing value (NaN, None, NA)."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _int(value) -> int | None:
    """An integer, or None for a missing value (a unit not ranked: 数据不全，暂不排名)."""
    number = _num(value)
    return None if number is None else int(number)


def _fmt(value, digits: int = 2) -> str:
    number = _num(value)
    return "—" if number is None else f"{number:,.{digits}f}"


def _raw(value) -> str:
    number = _num(value)
    return "—" if number is None else f"{number:,.4f}".rstrip("0").rstrip(".")


def _text(value, default: str = "—") -> str:
    return value if isinstance(value, str) and value else default


def _change(value) -> tuple[str, str]:
    number = _num(value)
    if number is None:
        return "—", ""
    if number == 0:
        return "0.00", ""
    return ("▲" if number > 0 else "▼") + f"{abs(number):.2f}", "up" if number > 0 else "down"


def _rank_change(value) -> tuple[str, str]:
    number = _num(value)
    if number is None:
        return "—", ""
    if number == 0:
        return "持平", ""
    return ("▲" if number > 0 else "▼") + f"{abs(int(number))}", "up" if number > 0 else "down"


@cache
def map_codes() -> frozenset[str]:
    """The county and city codes drawn by the vendored boundary file (a city as its counties)."""
    text = MAP_FILE.read_text(encoding="utf-8")
    collection = json.loads(text[text.index("{") : text.rindex("}") + 1])
    return frozenset(
        code for f in collection["features"] for code in (f["properties"]["name"], f["properties"]["city"])
    )


def _unit_summary(row, data: ReportData) -> dict:
    change_text, change_class = _change(getattr(row, "score_change_qoq", None))
    rank_text, rank_class = _rank_change(getattr(row, "rank_change_qoq", None))
    summary = {
        "code": row.unit_code,
        "name": row.unit_name,
        "peer_group": row.peer_group,
        "peer_group_name": row.peer_group_name,
        "rank": _int(row.rank_in_group),
        "group_size": int(row.group_size),
        "rank_text": "暂不排名"
        if _int(row.rank_in_group) is None
        else f"{int(row.rank_in_group)}/{int(row.group_size)}",
        "total": _num(row.total_score),
        "total_text": _fmt(row.total_score),
        "light": getattr(row, "light", None),
        "grade": getattr(row, "grade", None),
        "change": _num(getattr(row, "score_change_qoq", None)),
        "change_text": change_text,
        "change_class": change_class,
        "rank_change": _num(getattr(row, "rank_change_qoq", None)),
        "rank_change_text": rank_text,
        "rank_change_class": rank_class,
    }
    if data.is_year:
        summary["quarters"] = [_num(getattr(row, f"q_{q}", None)) for q in data.quarters]
    else:
        summary["dims"] = [
            {
                "name": name,
                "score": _num(getattr(row, f"dim_{code}")),
                "text": _fmt(getattr(row, f"dim_{code}")),
                "max": _fmt(data.dimension_max.get(code)),
                "ratio": round((_num(getattr(row, f"dim_{code}")) or 0) / (data.dimension_max.get(code) or 1), 3),
            }
            for code, name in data.dimensions
        ]
    return summary


def _indicator_columns(data: ReportData) -> list[dict]:
    scored = data.indicators[data.indicators.kind == "scored"]
    pairs = scored[["indicator_code", "indicator_name_zh"]].drop_duplicates().sort_values("indicator_code")
    return [{"code": code, "name": name} for code, name in pairs.itertuples(index=False)]


def _map_data(data: ReportData, units: list[dict]) -> dict:
    by_code = {u["code"]: u for u in units}
    group_names = {code: name for code, name, _ in data.peer_groups}

    def entry(u: dict) -> dict:
        return {
            "code": u["code"],
            "name": u["name"],
            "group": group_names[u["peer_group"]],
            "rank": u["rank"],
            "size": u["group_size"],
            "score": u["total"],
            "score_text": u["total_text"],
            "grade": u["grade"],
            "light": u["light"],
        }

    tiers = dict(zip(data.rankings.unit_code, data.rankings.tier))
    counties = {c: entry(u) for c, u in by_code.items() if tiers[c] == "county"}
    cities = {c: entry(u) for c, u in by_code.items() if tiers[c] == "city"}
    departments = [
        {**entry(u), "group_short": group_names[u["peer_group"]].replace("类部门", "类")}
        for u in units
        if tiers[u["code"]] == "department"
    ]
    scores = [u["score"] for u in [*counties.values(), *cities.values()] if u["score"] is not None]
    dept_scores = [u["score"] for u in departments if u["score"] is not None]
    return {
        "counties": counties,
        "cities": cities,
        "departments": departments,
        "min": math.floor(min(scores, default=0)),
        "max": math.ceil(max(scores, default=100)),
        "dept_min": min(dept_scores, default=0),
    }


def _off_map_note(data: ReportData, units: list[dict]) -> str:
    tiers = dict(zip(data.rankings.unit_code, data.rankings.tier))
    off = [u for u in units if tiers[u["code"]] in ("city", "county") and u["code"] not in map_codes()]
    if not off:
        return ""
    names = "、".join(f"{u['name']}（{u['total_text']}，{u['peer_group_name']}第{u['rank']}名）" for u in off)
    return (
        f"地图上未单独显示：{names}——边界数据早于其设立或无独立辖区（原湾里区的区域按新建区显示）。"
        "Not drawn: units newer than the boundary data or without a territory of their own. "
        "灰色 = 本期无分数 / grey = no score this period."
    )


def _by_unit(frame: pd.DataFrame) -> dict[str, list[SimpleNamespace]]:
    """The rows of a frame as objects, grouped by unit code (one pass; faster than groupby per unit)."""
    groups: dict[str, list[SimpleNamespace]] = {}
    for record in frame.to_dict("records"):
        groups.setdefault(record["unit_code"], []).append(SimpleNamespace(**record))
    return groups


def _profile(u: dict, data: ReportData, frames: dict[str, dict[str, list]], peers: pd.DataFrame | None) -> dict:
    code = u["code"]
    history = frames["history"].get(code, [])
    page = {
        "history": [{"period": h.period, "score": _num(h.total_score), "rank": _int(h.rank_in_group)} for h in history],
        "group_size": max([int(h.group_size) for h in history] + [u["group_size"]]),
    }
    context: dict = {"u": u, "strengths": [], "weaknesses": [], "indicator_rows": []}
    if not data.is_year:
        group = peers.loc[u["peer_group"]]
        page["dimensions"] = [
            {
                "name": name,
                "score": dim["score"],
                "max": data.dimension_max.get(c),
                "peer_mean": round(float(group[f"dim_{c}"]), 4),
            }
            for (c, name), dim in zip(data.dimensions, u["dims"])
        ]
        contrib = frames["contributions"].get(code, [])
        names = dict(data.dimensions)
        page["contributions"] = [
            {
                "name": names.get(r.dimension, r.dimension),
                "change": _num(r.score_change),
                "share": _num(r.share_of_change),
            }
            for r in contrib
            if r.dimension in names
        ]
        page["contributions"].sort(key=lambda c: list(names.values()).index(c["name"]))
        seen: dict[str, set] = {"strength": set(), "weakness": set()}
        for s in frames["strengths"].get(code, []):
            if s.indicator_code in seen[s.side]:
                continue
            seen[s.side].add(s.indicator_code)
            item = {
                "code": s.indicator_code,
                "name": s.indicator_name_zh,
                "detail": f"得分 {_fmt(s.score)}/{_fmt(s.max_score)}，组内第 {s.peer_rank}/{s.peer_count}",
            }
            context["strengths" if s.side == "strength" else "weaknesses"].append(item)
        for i in frames["indicators"].get(code, []):
            source = "—"
            if isinstance(getattr(i, "file_name", None), str):
                row = _num(i.source_row)
                source = f"{i.file_name} · {_text(i.sheet)} · 第 {int(row)} 行" if row is not None else i.file_name
            context["indicator_rows"].append(
                {
                    "code": i.indicator_code,
                    "name": i.indicator_name_zh,
                    "dimension": _text(i.dimension_name_zh, _text(i.part_name_zh, i.kind)),
                    "raw": _raw(i.raw_value),
                    "target": _raw(i.target),
                    "score": _fmt(i.score, 4).rstrip("0").rstrip("."),
                    "max": _raw(i.max_score),
                    "light": i.light if isinstance(i.light, str) else None,
                    "note": "不适用" if i.is_na else ("缺报" if i.is_missing else "—"),
                    "peer_rank": f"{int(i.peer_rank)}/{int(i.peer_count)}" if _num(i.peer_rank) is not None else "—",
                    "source": source,
                }
            )
    return {**context, "page_data": page}


def write_site(data: ReportData, prov: Provenance, folder: Path) -> Path:
    """Write the scorecard into `folder` (created); returns the index page."""
    env = _environment()
    folder.mkdir(parents=True)
    shutil.copytree(STATIC / "site", folder / "assets")
    shutil.copytree(STATIC / "vendor", folder / "assets" / "vendor")
    units = [_unit_summary(SimpleNamespace(**row), data) for row in data.rankings.to_dict("records")]
    base = {
        "period_zh": period_zh(data.period),
        "coverage": data.coverage,
        "provenance": prov,
        "is_year": data.is_year,
        "returns_used": len(data.current_returns),
        "peer_groups": data.peer_groups,
        "dimensions": data.dimensions,
        "quarters": data.quarters,
        "light_zh": LIGHT_ZH,
        "light_short": LIGHT_SHORT,
    }

    def render(template: str, path: Path, page: str, root: str = "", page_data: dict | None = None, **context) -> None:
        html = env.get_template(template).render(**base, page=page, root=root, page_data=page_data or {}, **context)
        path.write_text(html, encoding="utf-8")

    indicators = [] if data.is_year else _indicator_columns(data)
    if indicators:
        lights = data.indicators.pivot(index="unit_code", columns="indicator_code", values="light")
        for u in units:
            row = lights.loc[u["code"]] if u["code"] in lights.index else None
            u["indicator_lights"] = [
                None if row is None or not isinstance(row.get(i["code"]), str) else row.get(i["code"])
                for i in indicators
            ]
    render("index.html", folder / "index.html", "index", units=units, indicators=indicators)
    map_data = _map_data(data, units)
    departments = len(map_data["departments"])
    render(
        "map.html",
        folder / "map.html",
        "map",
        page_data=map_data,
        off_map_note=_off_map_note(data, units),
        department_chart_height=max(200, 22 * departments + 60),
    )
    if not data.is_year:
        render("redblack.html", folder / "redblack.html", "redblack", groups=_red_black_groups(data))
    render("returns.html", folder / "returns.html", "returns", log=_log_rows(data), missing=_missing(data))
    frames = {
        name: _by_unit(frame)
        for name, frame in (
            ("history", data.history),
            ("contributions", data.contributions),
            ("strengths", data.strengths),
            ("indicators", data.indicators),
        )
    }
    peers = (
        data.rankings.groupby("peer_group")[[f"dim_{c}" for c, _ in data.dimensions]].mean()
        if not data.is_year
        else None
    )
    (folder / "units").mkdir()
    for u in units:
        profile = _profile(u, data, frames, peers)
        render(
            "unit.html",
            folder / "units" / f"{u['code']}.html",
            "unit",
            root="../",
            page_data=profile.pop("page_data"),
            **profile,
        )
    return folder / "index.html"


def _red_black_groups(data: ReportData) -> list[dict]:
    order = ["red", "black", "riser", "faller"]
    groups = []
    for code, name, _ in data.peer_groups:
        rows = data.red_black[data.red_black.peer_group == code]
        lists = []
        for list_code in order:
            part = rows[rows.list == list_code]
            if part.empty:
                continue
            lists.append(
                {
                    "code": list_code,
                    "name": part.list_zh.iloc[0],
                    "rows": [
                        {
                            "code": r.unit_code,
                            "name": r.unit_name,
                            "total": _fmt(r.total_score),
                            "rank": _int(r.rank_in_group),
                            "change": _change(r.score_change_qoq)[0],
                        }
                        for r in part.itertuples()
                    ],
                }
            )
        groups.append({"name": name, "lists": lists})
    return groups


def _log_rows(data: ReportData) -> list[dict]:
    return [
        {
            "period": r.period,
            "submitter": f"{r.unit_code or '—'} {r.submitter_name if isinstance(r.submitter_name, str) else ''}",
            "file_name": r.file_name,
            "status": r.status,
            "status_zh": STATUS_ZH.get(r.status, r.status),
            "landed": beijing_or_dash(r.received_at if pd.isna(r.landed_at) else r.landed_at),
            "reasons": [line for line in str(r.reasons or "").splitlines() if line.strip()],
        }
        for r in data.return_log.itertuples()
    ]


def _missing(data: ReportData) -> list[dict]:
    """Units without an accepted return in a quarter (every quarter of a year)."""
    if data.is_year:
        return []
    reported = set(data.current_returns[data.current_returns.return_type == "unit"].unit_code)
    scored = set(data.rankings.unit_code)
    return [
        {"code": r.unit_code, "name": r.unit_name, "scored": r.unit_code in scored}
        for r in data.units.itertuples()
        if r.unit_code not in reported
    ]
