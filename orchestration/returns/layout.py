"""The return file layout (template v1), shared by the writers and the parser."""

from __future__ import annotations

TEMPLATE_VERSION = "v1"
DATA_SHEET = "填报表"
INSTRUCTIONS_SHEET = "填报说明"

# Row 2 of a return: label cells, each followed by its value cell.
META_UNIT_CODE = "填报单位代码"
META_UNIT_NAME = "填报单位"
META_PERIOD = "报告期"
META_TEMPLATE = "模板版本"
META_LABELS = (META_UNIT_CODE, META_UNIT_NAME, META_PERIOD, META_TEMPLATE)

COL_SEQ = "序号"
COL_TARGET_UNIT_CODE = "被考核单位代码"
COL_TARGET_UNIT_NAME = "被考核单位名称"
COL_INDICATOR_CODE = "指标代码"
COL_INDICATOR_NAME = "指标名称"
COL_UOM = "计量单位"
COL_VALUE = "填报值"
COL_NOTE = "备注"

UNIT_HEADER = (COL_SEQ, COL_INDICATOR_CODE, COL_INDICATOR_NAME, COL_UOM, COL_VALUE, COL_NOTE)
EVALUATION_HEADER = (
    COL_SEQ,
    COL_TARGET_UNIT_CODE,
    COL_TARGET_UNIT_NAME,
    COL_INDICATOR_CODE,
    COL_INDICATOR_NAME,
    COL_UOM,
    COL_VALUE,
    COL_NOTE,
)

# A row under the table whose first filled cell starts with one of these ends the table: notes,
# seals and signatures (填报单位（盖章）, 审核人, 填报人, 联系电话, 填报日期 …).
SIGNATURE_LABELS = (
    "填表人",
    "联系电话",
    "填报日期",
    "审核人",
    "单位负责人",
    "填报人",
    "制表人",
    "负责人",
    "分管领导",
    "主要领导",
    "审核",
    "注:",
    "注：",
    "注1",
    "说明:",
    "说明：",
    "备注:",
    "备注：",
    "填报单位(盖章)",
    "填报单位（盖章）",
    "单位(盖章)",
    "单位（盖章）",
    "(盖章)",
    "（盖章）",
    "盖章",
    "日期:",
    "日期：",
)

TITLE_ROW = 1
META_ROW = 2
HEADER_ROW = 4
FIRST_DATA_ROW = 5

RETURN_TYPE_UNIT = "unit"
RETURN_TYPE_EVALUATION = "evaluation"


def header_for(return_type: str) -> tuple[str, ...]:
    """Header row of a return of the given type."""
    return UNIT_HEADER if return_type == RETURN_TYPE_UNIT else EVALUATION_HEADER


def meta_row(unit_code: str, unit_name: str, period: str) -> list[str]:
    """Row 2 of a return: the submitter and the period."""
    return [META_UNIT_CODE, unit_code, META_UNIT_NAME, unit_name, META_PERIOD, period, META_TEMPLATE, TEMPLATE_VERSION]


def period_zh(period: str) -> str:
    """'2024Q4' -> '2024年第四季度'; anything else is returned as written."""
    if len(period) != 6 or period[4] != "Q" or period[5] not in "1234":
        return period
    return f"{period[:4]}年第{'一二三四'[int(period[5]) - 1]}季度"


def title_for(unit_name: str, period: str) -> str:
    """Title row of a return."""
    return f"{unit_name}{period_zh(period)}“五型”政府建设量化指标填报表"
