"""What a report shows, read from the published DuckDB file only (one read-only connection)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.periods import is_year
from orchestration.publish import PARQUET_LINK, PUBLISHED_DB
from orchestration.reference import Reference
from orchestration.warehouse import table_exists

PERIOD_STATUS_MART = "mart_period_status"  # the period's life: state, returns expected and accepted
SOURCES_MART = "mart_indicator_sources"
TIER_ORDER = {"city": 0, "county": 1, "department": 2}
STATE_ZH = {
    "final": "定稿 / final",
    "provisional": "暂定（公示）/ provisional",
    "collecting": "填报中 / collecting returns",
}


class ReportError(Exception):
    """A report cannot be made (unknown period, nothing scored); the message says why, in Chinese."""


@dataclass
class Coverage:
    """Who reported of those expected, and whether the results are provisional or final."""

    units_expected: int
    units_reported: int
    evaluators_expected: int
    evaluators_reported: int
    status: str
    status_basis: str
    is_final: bool


@dataclass
class ReportData:
    """Every frame a report of one period is written from."""

    period: str
    rankings: pd.DataFrame
    dimensions: list[tuple[str, str]]
    dimension_max: dict[str, float]
    units: pd.DataFrame  # every unit of dim_units (those without scores too)
    parts: list[tuple[str, str]]
    peer_groups: list[tuple[str, str, str]]  # code, name, tier
    indicators: pd.DataFrame
    red_black: pd.DataFrame
    return_log: pd.DataFrame
    issues: pd.DataFrame
    history: pd.DataFrame
    strengths: pd.DataFrame
    contributions: pd.DataFrame
    coverage: Coverage
    framework_versions: list[str]
    publication: str
    quarters: list[str] = field(default_factory=list)  # a year's quarters (annual reports)

    @property
    def is_year(self) -> bool:
        return is_year(self.period)

    @property
    def current_returns(self) -> pd.DataFrame:
        """The accepted current returns the scores were computed from."""
        log = self.return_log
        return log[(log.status == "accepted") & log.is_current]


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _quarters(period: str) -> list[str]:
    return [f"{period}Q{q}" for q in range(1, 5)] if is_year(period) else [period]


def _quarter_rankings(con, period: str) -> pd.DataFrame:
    rankings = _df(con, "select * from marts.mart_unit_rankings where period = ?", [period])
    dims = _df(con, "select unit_code, dimension, score from marts.fct_dimension_scores where period = ?", [period])
    parts = _df(con, "select unit_code, part, score from marts.fct_part_scores where period = ?", [period])
    for frame, key, prefix in ((dims, "dimension", "dim_"), (parts, "part", "part_")):
        if not frame.empty:
            wide = frame.pivot(index="unit_code", columns=key, values="score").add_prefix(prefix)
            rankings = rankings.merge(wide, left_on="unit_code", right_index=True, how="left")
    return _in_group_order(rankings)


def _in_group_order(rankings: pd.DataFrame) -> pd.DataFrame:
    """Cities, then counties, then departments; peer groups by code; each by rank."""
    rankings["group_order"] = rankings.tier.map(TIER_ORDER).fillna(len(TIER_ORDER))
    return rankings.sort_values(["group_order", "peer_group", "rank_in_group", "unit_code"]).reset_index(drop=True)


def _annual_rankings(con, period: str) -> pd.DataFrame:
    rankings = _df(
        con,
        "select a.*, a.annual_score as total_score, u.unit_name, u.short_name, u.tier, "
        "u.peer_group_name from marts.mart_unit_annual_scores a join marts.dim_units u "
        "using (unit_code) where a.year = ? order by a.peer_group, a.rank_in_group, unit_code",
        [period],
    )
    quarterly = _df(
        con, "select unit_code, period, total_score from marts.mart_unit_rankings where period like ? || 'Q_'", [period]
    )
    if not quarterly.empty:
        wide = quarterly.pivot(index="unit_code", columns="period", values="total_score").add_prefix("q_")
        rankings = rankings.merge(wide, left_on="unit_code", right_index=True, how="left")
    return _in_group_order(rankings)


def _coverage(con, period: str) -> Coverage:
    """Returns expected and accepted, and the period's state, from mart_period_status (issue 12): a
    quarter as it stands; a year is final only when its four quarters are."""
    quarters = _quarters(period)
    rows = _df(con, f"select * from marts.{PERIOD_STATUS_MART} where period = any(?)", [quarters])
    final = len(rows) == len(quarters) and bool(rows.is_final.all())
    if is_year(period):
        status = STATE_ZH["final"] if final else STATE_ZH["provisional"]
        basis = "四个季度均已定稿方为定稿 / final when all four quarters are final"
    else:
        state = str(rows.state.iloc[0]) if not rows.empty else "collecting"
        status, basis = STATE_ZH.get(state, state), f"据 {PERIOD_STATUS_MART} / from {PERIOD_STATUS_MART}"
    total = {
        column: int(rows[column].sum()) if not rows.empty else 0
        for column in (
            "unit_returns_expected",
            "unit_returns_accepted",
            "evaluator_returns_expected",
            "evaluator_returns_accepted",
        )
    }
    return Coverage(
        total["unit_returns_expected"],
        total["unit_returns_accepted"],
        total["evaluator_returns_expected"],
        total["evaluator_returns_accepted"],
        status,
        basis,
        final,
    )


def publication_of(published: Path) -> str:
    """The snapshot the published file belongs to (the Parquet link's target), e.g. 20241009T100000Z."""
    link = published / PARQUET_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else "unknown"


def load(published: Path, period: str, reference: Reference | None = None) -> ReportData:
    """Read one period's report data from a published folder; ReportError if nothing is scored."""
    database = published / PUBLISHED_DB
    if not database.exists():
        raise ReportError(f"尚无发布库 {database}：请先运行 `wuxing run` / no published marts yet")
    reference = reference or Reference.load()
    quarters = _quarters(period)
    with duckdb.connect(str(database), read_only=True) as con:
        if not table_exists(con, "marts", "mart_unit_rankings"):
            raise ReportError(f"{period} 没有分数：发布库中还没有排名表，请先运行计分 / nothing is scored yet")
        rankings = _annual_rankings(con, period) if is_year(period) else _quarter_rankings(con, period)
        if rankings.empty:
            raise ReportError(
                f"{period} 没有分数，无法生成报告：该期次尚无已计分的单位（请确认期次，"
                f"或先运行 `wuxing score {period}`）/ no scores for {period}"
            )
        dimension_rows = con.execute(
            "select dimension, any_value(dimension_name_zh), max(max_score) from marts.fct_dimension_scores "
            "where period = any(?) group by dimension order by min(sort_order)",
            [quarters],
        ).fetchall()
        parts = [
            tuple(r)
            for r in con.execute(
                "select part, any_value(part_name_zh) from marts.fct_part_scores where period = any(?) "
                "group by part order by min(sort_order)",
                [quarters],
            ).fetchall()
        ]
        sources = table_exists(con, "marts", SOURCES_MART)
        indicators = _df(
            con,
            f"""
            select s.*, i.indicator_name_zh, i.indicator_name_en, i.kind, i.unit_of_measure,
                   i.dimension_name_zh, i.measure_name_zh, i.part_name_zh,
                   u.unit_name, u.short_name, u.tier, u.peer_group, u.peer_group_name
                   {", src.file_name, src.sheet, src.source_row" if sources else ""}
            from marts.fct_indicator_scores s
            join marts.dim_indicators i using (indicator_code)
            join marts.dim_units u using (unit_code)
            {"left join marts." + SOURCES_MART + " src using (unit_code, period, indicator_code)" if sources else ""}
            where s.period = ? order by u.peer_group, s.unit_code, s.indicator_code""",
            [period],
        )
        log = _df(
            con,
            "select * from marts.mart_return_log where period = any(?) "
            "order by period, coalesce(landed_at, received_at), file_name",
            [quarters],
        )
        log_names = _df(con, "select unit_code, unit_name from marts.dim_units")
        names = dict(zip(log_names.unit_code, log_names.unit_name))
        names.update(zip(reference.evaluators.evaluator_code, reference.evaluators.evaluator_name))
        log["submitter_name"] = log.unit_code.map(names)
        data = ReportData(
            period=period,
            rankings=rankings,
            dimensions=[(code, name) for code, name, _ in dimension_rows],
            dimension_max={code: top for code, _, top in dimension_rows},
            parts=parts,
            units=_df(con, "select * from marts.dim_units order by unit_code"),
            peer_groups=[
                tuple(r)
                for r in rankings[["peer_group", "peer_group_name", "tier"]].drop_duplicates().itertuples(index=False)
            ],
            indicators=indicators,
            red_black=_df(
                con,
                "select * from marts.mart_red_black_list where period = ? order by peer_group, list, list_rank",
                [period],
            ),
            return_log=log,
            issues=_df(
                con,
                "select * from marts.fct_return_issues where period = any(?) order by file_name, source_row",
                [quarters],
            ),
            history=_df(
                con,
                "select unit_code, period, total_score, rank_in_group, group_size, grade, light "
                "from marts.mart_unit_rankings order by period",
            ),
            strengths=_df(
                con,
                "select s.*, i.indicator_name_zh from marts.mart_unit_strengths s "
                "join marts.dim_indicators i using (indicator_code) where period = ? "
                "order by unit_code, side, basis, position",
                [period],
            ),
            contributions=_df(con, "select * from marts.mart_dimension_contributions where period = ?", [period]),
            coverage=_coverage(con, period),
            framework_versions=sorted({v for v in rankings.framework_version.dropna()}),
            publication=publication_of(published),
            quarters=quarters if is_year(period) else [],
        )
    return data
