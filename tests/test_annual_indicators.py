"""Annual-only indicators (framework_indicators.frequency = annual): reported in the Q4 return only.

The Jiangxi frameworks have none yet, so a copy of the seeds makes DI102 (高质量调研报告数, a
required department indicator counted over the last four quarters) annual-only in v2024; the
scoring side is proven by the dbt unit tests (grid, tree, mart_unit_annual_scores).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from orchestration.paths import SEEDS_DIR
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.intake import Submission, judge
from orchestration.returns.validate import ReturnValidator
from orchestration.template import INSTRUCTIONS_SHEET, write_template
from tests.conftest import good_rows, write_csv_return

ANNUAL = "DI102"
DEPARTMENT = "D001"


@pytest.fixture(scope="module")
def annual_reference(tmp_path_factory) -> Reference:
    seeds = tmp_path_factory.mktemp("seeds")
    for path in SEEDS_DIR.glob("*.csv"):
        shutil.copy(path, seeds / path.name)
    leaves = pd.read_csv(seeds / "framework_indicators.csv", dtype=str, keep_default_na=False)
    leaves.loc[(leaves.framework_version == "v2024") & (leaves.indicator_code == ANNUAL), "frequency"] = "annual"
    leaves.to_csv(seeds / "framework_indicators.csv", index=False)
    return Reference.load(seeds)


def test_annual_only_per_period(annual_reference):
    assert annual_reference.annual_only("2024Q3") == {ANNUAL}
    assert annual_reference.annual_only("2023Q3") == set()  # v2023 scores it every quarter
    codes = {
        period: set(annual_reference.indicators_for("department", "self", period).indicator_code)
        for period in ("2024Q3", "2024Q4", "2023Q3")
    }
    assert ANNUAL not in codes["2024Q3"] and ANNUAL in codes["2024Q4"] and ANNUAL in codes["2023Q3"]
    assert codes["2024Q4"] - codes["2024Q3"] == {ANNUAL}


@pytest.mark.parametrize("period,rules", [("2024Q3", set()), ("2024Q4", {"missing_indicator"})])
def test_required_in_the_q4_return_only(tmp_path, annual_reference, period, rules):
    rows = [row for row in good_rows(annual_reference, DEPARTMENT) if row[1] != ANNUAL]
    path = write_csv_return(tmp_path / f"{DEPARTMENT}_{period}.csv", DEPARTMENT, "省发改委", period, rows)
    landed = datetime(int(period[:4]) + (period[-1] == "4"), 1 if period[-1] == "4" else 10, 10, tzinfo=UTC)
    (verdict,), _ = judge([Submission(path.name, path.read_bytes(), landed)], ReturnValidator(annual_reference))
    errors = {issue.rule for issue in verdict.issues if issue.severity == "error"}
    assert errors == rules
    if rules:
        assert ANNUAL in verdict.issues[0].message_zh


def test_template_lists_annual_indicators_in_q4_only(tmp_path, annual_reference):
    def codes(period: str) -> tuple[set[str], str]:
        workbook = load_workbook(write_template(tmp_path / f"{period}.xlsx", DEPARTMENT, period, annual_reference))
        rows = workbook[layout.DATA_SHEET].iter_rows(min_row=layout.FIRST_DATA_ROW, values_only=True)
        text = "\n".join(str(c) for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for c in row if c)
        return {row[1] for row in rows if row[1]}, text

    q3, q3_text = codes("2024Q3")
    q4, q4_text = codes("2024Q4")
    assert q4 - q3 == {ANNUAL}
    assert f"年度指标（{ANNUAL}）只在第四季度" in q3_text and f"年度指标（{ANNUAL}）只在第四季度" in q4_text
