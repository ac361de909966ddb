"""An auditable withdrawal: a return whose cells say 撤回, dropped into landing/ like any other, so
it is archived, judged, noticed and logged (mart_return_log, fct_value_history) the same way."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from orchestration.clock import BEIJING
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.values import WITHDRAWAL_MARKS
from orchestration.returns.writer import write_return

WITHDRAWAL = sorted(WITHDRAWAL_MARKS)[0]  # the mark written into the cell


def write_withdrawal(
    landing: Path,
    reference: Reference,
    submitter: str,
    period: str,
    indicators: list[str],
    units: list[str],
    reason: str,
) -> Path:
    """Write the withdrawal of `indicators` (for each of `units` when the submitter is an evaluator)
    into landing/; ValueError for an unknown code or an evaluator without units."""
    names = reference.unit_name
    if submitter not in names:
        raise ValueError(f"未知的填报单位代码 / unknown submitter: {submitter}")
    catalogue = reference.indicators.set_index("indicator_code")
    unknown = [code for code in indicators if code not in catalogue.index]
    if unknown or not indicators:
        raise ValueError(f"未知或缺少指标代码 / unknown or missing indicator: {', '.join(unknown) or '-'}")
    evaluation = submitter in set(reference.evaluators.evaluator_code)
    if evaluation and not units:
        raise ValueError("评价机构撤回须指明被考核单位 / an evaluator's withdrawal needs --unit")
    if [u for u in units if u not in names]:
        raise ValueError(f"未知的被考核单位 / unknown unit: {', '.join(u for u in units if u not in names)}")
    note = f"撤回：{reason}" if reason else "撤回"
    rows = []
    for code in indicators:
        name, uom = catalogue.loc[code, "indicator_name_zh"], catalogue.loc[code, "unit_of_measure"]
        for unit in units if evaluation else [None]:
            target = [unit, names[unit]] if evaluation else []
            rows.append([len(rows) + 1, *target, code, name, uom, WITHDRAWAL, note])
    stamp = datetime.now(BEIJING).strftime("%Y%m%d%H%M%S")
    return_type = layout.RETURN_TYPE_EVALUATION if evaluation else layout.RETURN_TYPE_UNIT
    return write_return(
        landing / f"{submitter}_{period}_{WITHDRAWAL}_{stamp}.csv",
        return_type,
        submitter,
        names[submitter],
        period,
        rows,
    )
