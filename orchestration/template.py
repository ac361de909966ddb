"""The fill-in workbook a unit or an evaluator receives each quarter (template v1, with input validation)."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.rules import Limits, catalogue
from orchestration.returns.writer import write_return
from orchestration.spreadsheet_safety import xlsx_cell

INSTRUCTIONS_SHEET = layout.INSTRUCTIONS_SHEET
PERIOD_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
NA_TEXT = "不适用"


def _check_period(period: str) -> None:
    """Raise ValueError unless the period looks like 2024Q4."""
    if not isinstance(period, str) or not PERIOD_PATTERN.match(period):
        raise ValueError(f"报告期格式错误，应为“2024Q4”形式 / malformed period {period!r}, expected e.g. '2024Q4'")


def _number(value: float) -> str:
    """A limit as Excel reads it: 0, 100, 1.5."""
    return f"{value:g}"


def _custom_formula(cell: str, limits: Limits) -> str:
    """Excel formula accepting 不适用 or a valid value of the type (for allow_na rows).

    IF evaluates lazily, so INT() never sees text (an error would reject the entry)."""
    if limits.one_of is not None:
        check = "OR(" + ",".join(f"{cell}={_number(v)}" for v in limits.one_of) + ")"
    else:
        parts = (
            ([f"{cell}>={_number(limits.minimum)}"] if limits.minimum is not None else [])
            + ([f"{cell}<={_number(limits.maximum)}"] if limits.maximum is not None else [])
            + ([f"INT({cell})={cell}"] if limits.whole else [])
        )
        check = "TRUE" if not parts else parts[0] if len(parts) == 1 else "AND(" + ",".join(parts) + ")"
    return f'IF(ISNUMBER({cell}),{check},{cell}="{NA_TEXT}")'


def _plain_rule(limits: Limits) -> tuple[str, str | None, str, str | None]:
    """(openpyxl type, operator, formula1, formula2) of a value cell that may not hold 不适用."""
    if limits.one_of is not None:
        return "list", None, '"' + ",".join(_number(v) for v in limits.one_of) + '"', None
    kind = "whole" if limits.whole else "decimal"
    low, high = limits.minimum, limits.maximum
    if low is not None and high is not None:
        return kind, "between", _number(low), _number(high)
    if low is not None:
        return kind, "greaterThanOrEqual", _number(low), None
    if high is not None:
        return kind, "lessThanOrEqual", _number(high), None
    return kind, "between", "-1E+15", "1E+15"  # any number, but a number


def _validation(value_type: str, allow_na: bool, cell: str, name: str) -> DataValidation:
    """The data validation of one 填报值 cell, its limits taken from the return-rule catalogue."""
    rules = catalogue()
    limits = rules.limits(value_type)
    rule = rules.value_types[value_type]["prompt_zh"]
    kind, operator, formula1, formula2 = _plain_rule(limits)
    if allow_na:
        kind, operator, formula1, formula2 = "custom", None, _custom_formula(cell, limits), None
        rule += f"；本指标无此项业务时可填“{NA_TEXT}”"
    validation = DataValidation(
        type=kind,
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="stop",
    )
    validation.promptTitle = "填报提示"[:32]
    validation.prompt = f"{name}：{rule}"[:255]
    validation.errorTitle = "填报值无效"
    validation.error = f"{name}：{rule}"[:255]
    validation.add(cell)
    return validation


def _evaluated_rows(reference: Reference, evaluator_code: str, period: str) -> list[tuple[object, object]]:
    """(assessed unit, indicator) pairs an evaluator reports on in a period, in the order of units.csv."""
    by_tier = {
        tier: list(reference.indicators_for(tier, evaluator_code, period).itertuples())
        for tier in reference.units.tier.unique()
    }
    return [(unit, ind) for unit in reference.units.itertuples() for ind in by_tier[unit.tier]]


def write_template(path: Path, submitter_code: str, period: str, reference: Reference) -> Path:
    """Write the fill-in workbook of a unit (its own indicators) or of an evaluator (one row per
    assessed unit and indicator it reports) for a period; ValueError for an unknown code or bad period."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"模板须为 .xlsx 文件 / the template must be an .xlsx file: {path.name}")
    tier = reference.unit_tier.get(submitter_code)
    is_evaluator = submitter_code in set(reference.evaluators.evaluator_code)
    if tier is None and not is_evaluator:
        raise ValueError(
            f"未知的填报单位代码 {submitter_code!r}，请核对 units.csv / evaluators.csv / "
            f"unknown unit code {submitter_code!r}"
        )
    _check_period(period)
    if is_evaluator:
        return_type = layout.RETURN_TYPE_EVALUATION
        pairs = _evaluated_rows(reference, submitter_code, period)
        rows = [
            [
                seq,
                unit.unit_code,
                unit.unit_name,
                ind.indicator_code,
                ind.indicator_name_zh,
                ind.unit_of_measure,
                None,
                None,
            ]
            for seq, (unit, ind) in enumerate(pairs, start=1)
        ]
        reported = {ind.indicator_code for _, ind in pairs}
        indicators = reference.indicators[reference.indicators.indicator_code.isin(reported)]
        per_row = [ind for _, ind in pairs]
    else:
        return_type = layout.RETURN_TYPE_UNIT
        indicators = reference.indicators_for(tier, "self", period)
        rows = [
            [seq, ind.indicator_code, ind.indicator_name_zh, ind.unit_of_measure, None, None]
            for seq, ind in enumerate(indicators.itertuples(), start=1)
        ]
        per_row = list(indicators.itertuples())
    write_return(path, return_type, submitter_code, reference.unit_name[submitter_code], period, rows)

    workbook = load_workbook(path)
    sheet = workbook[layout.DATA_SHEET]
    value_col = get_column_letter(layout.header_for(return_type).index(layout.COL_VALUE) + 1)
    for offset, ind in enumerate(per_row):
        cell = f"{value_col}{layout.FIRST_DATA_ROW + offset}"
        sheet.add_data_validation(_validation(ind.value_type, ind.allow_na == "true", cell, ind.indicator_name_zh))
    _lay_out(sheet, return_type, len(per_row))
    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), submitter_code, period, reference, tier, indicators)
    workbook.save(path)
    return path


def _write_instructions(
    sheet, submitter_code: str, period: str, reference: Reference, tier: str | None, indicators
) -> None:
    """Sheet 填报说明: the rules of the return and the definition of every indicator (targets
    shown for a unit's own tier; an evaluator's return covers every tier)."""
    short = reference.units.set_index("unit_code").short_name.get(submitter_code, submitter_code)
    assessed = (
        []
        if tier is not None
        else [
            [layout.COL_TARGET_UNIT_CODE, "被考核单位的代码，请勿改动；每个被考核单位每个指标一行"],
            [layout.COL_TARGET_UNIT_NAME, "被考核单位名称，仅供参考"],
        ]
    )
    general = [
        [f"{reference.unit_name[submitter_code]}{layout.period_zh(period)}填报说明"],
        [],
        ["一、各列含义"],
        [layout.COL_SEQ, "行号，请勿改动"],
        *assessed,
        [layout.COL_INDICATOR_CODE, "指标的固定代码，请勿改动、删除或重复填写"],
        [layout.COL_INDICATOR_NAME, "指标名称，仅供参考"],
        [layout.COL_UOM, "填报值的计量单位"],
        [layout.COL_VALUE, "本季度的数值，只填数字；不要填写文字、单位或公式"],
        [layout.COL_NOTE, "需要说明的情况（可空）"],
        [],
        ["二、填报要求"],
        ["1", "比率类指标按百分点填写：85%填“85”，不要填“0.85”；取值范围0至100"],
        ["2", "个数、次数类指标填不小于0的整数；金额、天数等填不小于0的数值；增长率等可为负的数值直接写负号，如 -1.5"],
        ["3", "是/否类指标填1（是）或0（否）"],
        ["4", f"“{NA_TEXT}”仅限下表“可填不适用”为“是”的指标使用，其余指标必须填写数值"],
        ["5", "“必填”为“是”的指标不得删除或留空"],
        ["6", f"第2行（{layout.META_UNIT_CODE}、{layout.META_PERIOD}）请勿改动"],
        [
            "7",
            f"文件命名：{submitter_code}_{period}_{short}.xlsx（格式为“单位代码_报告期_任意说明.xlsx”）；"
            "更正后重新报送时请另存新文件，如在文件名后加“_更正”",
        ],
        *(
            [["8", "年度指标（" + "、".join(sorted(annual)) + "）只在第四季度报表中填报，计入年度得分"]]
            if (annual := reference.annual_only(period))
            else []
        ),
        [],
        ["三、指标说明"],
        [
            layout.COL_INDICATOR_CODE,
            layout.COL_INDICATOR_NAME,
            layout.COL_UOM,
            "填报类型",
            "必填",
            "可填不适用",
            "目标值",
            "指标定义",
        ],
    ]
    for row in general:
        sheet.append(row)
    table_header_row = sheet.max_row
    for ind in indicators.itertuples():
        target = reference.target(ind.indicator_code, tier) if tier is not None else None
        sheet.append(
            [
                ind.indicator_code,
                ind.indicator_name_zh,
                ind.unit_of_measure,
                catalogue().value_types.get(ind.value_type, {}).get("label_zh", ind.value_type),
                "是" if ind.required == "true" else "否",
                "是" if ind.allow_na == "true" else "否",
                "" if target is None else f"{target:g}",
                ind.description_zh,
            ]
        )
    for row in sheet.iter_rows():
        for cell in row:
            xlsx_cell(cell)
    bold = Font(bold=True)
    for row in sheet.iter_rows(max_row=table_header_row):
        first = row[0].value
        if row[0].row in (1, table_header_row) or (isinstance(first, str) and first[1:2] == "、"):
            for cell in row:
                cell.font = bold
    for row in sheet.iter_rows(min_row=table_header_row + 1):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (12, 30, 10, 14, 8, 12, 10, 60)):
        sheet.column_dimensions[letter].width = width
    _print_on_a4(sheet, landscape=True)
    sheet.protection.sheet = True  # read-only guidance; no password


INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: the cells a clerk fills in
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_THIN = Side(style="thin", color="808080")
GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
MIN_WIDTHS = {layout.COL_VALUE: 14, layout.COL_NOTE: 24}  # room to type in


def _print_on_a4(sheet, landscape: bool) -> None:
    """A4, fitted to one page wide, centred, 1.5 cm margins."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_options.horizontalCentered = True
    for side in ("left", "right", "top", "bottom"):
        setattr(sheet.page_margins, side, 0.6)


def _lay_out(sheet, return_type: str, data_rows: int) -> None:
    """The data sheet as a clerk meets it: every cell locked except 填报值, 备注 and the signature
    line (sheet protection without a password, so Excel and WPS users can still unprotect it
    deliberately), input cells pale yellow, header grey; the header row frozen with the code and
    name columns and repeated on every printed A4 page."""
    header = layout.header_for(return_type)
    inputs = [header.index(layout.COL_VALUE) + 1, header.index(layout.COL_NOTE) + 1]
    first, last = layout.FIRST_DATA_ROW, layout.FIRST_DATA_ROW + data_rows - 1
    for cell in sheet[layout.HEADER_ROW][: len(header)]:
        cell.fill, cell.border = HEADER_FILL, GRID
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in sheet.iter_rows(min_row=first, max_row=last, max_col=len(header)):
        for cell in row:
            cell.border = GRID
            if cell.column in inputs:
                cell.fill, cell.protection = INPUT_FILL, Protection(locked=False)
    for cell in sheet[sheet.max_row]:  # 填表人：… 联系电话：… (typed after the colon)
        if cell.value:
            cell.fill, cell.protection = INPUT_FILL, Protection(locked=False)
    for column, minimum in MIN_WIDTHS.items():
        letter = get_column_letter(header.index(column) + 1)
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0, minimum)
    # frozen: the header and the columns up to the first name (the indicator's, or the assessed unit's)
    name = layout.COL_INDICATOR_NAME if return_type == layout.RETURN_TYPE_UNIT else layout.COL_TARGET_UNIT_NAME
    sheet.freeze_panes = f"{get_column_letter(header.index(name) + 2)}{first}"
    sheet.print_title_rows = f"{layout.HEADER_ROW}:{layout.HEADER_ROW}"
    _print_on_a4(sheet, landscape=return_type != layout.RETURN_TYPE_UNIT)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # widths may still change
