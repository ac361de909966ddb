"""The frame the blocking suites check: one row per data row of every return of a kind (plus one per
missing required indicator), tagged with its file, its identity and the reference facts."""

from __future__ import annotations

from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.identify import Identifier
from orchestration.returns.parse import ParsedReturn
from orchestration.returns.rules import catalogue
from orchestration.returns.settings import ValidationSettings


class FrameBuilder:
    """Builds check frames for one reference and settings."""

    def __init__(self, reference: Reference, settings: ValidationSettings, identifier: Identifier) -> None:
        self.reference, self.settings, self.identifier = reference, settings, identifier
        self._required_cache: dict[tuple[str | None, str], list[str]] = {}

    def _tags(self, key: int, parsed: ParsedReturn, landed: date) -> dict[str, object]:
        """What every row of one return carries: its file, identity and period status."""
        submitter, period = self.identifier.identity(parsed)
        name_code = self.identifier.name_code(parsed.file_name)
        return {
            "file_key": key,
            "file_name": parsed.file_name,
            "sheet": parsed.sheet,
            "submitter_text": parsed.submitter_text,
            "submitter_code": submitter,
            "period_text": parsed.period_text,
            "period": period,
            "period_status": self.settings.period_status(period, landed),
            "template_version": parsed.template_version,
            "landed_on": landed.isoformat(),
            "file_name_code": name_code.upper() if name_code else None,
            "file_name_period": self.identifier.name_period(parsed.file_name),
        }

    def frame(
        self, items: list[tuple[int, ParsedReturn, date]], prior: set[tuple[str, str]] | None = None
    ) -> pd.DataFrame:
        """One row per data row of every return in `items` (plus one per missing required
        indicator of a unit return that is the first for its unit and period; `prior` holds the
        (unit, period) pairs reported before), tagged with its file and the reference facts."""
        prior = prior or set()
        records: list[dict[str, object]] = []
        for key, parsed, landed in items:
            tags = self._tags(key, parsed, landed)
            submitter, period = tags["submitter_code"], tags["period"]
            rows = parsed.rows
            if parsed.return_type == layout.RETURN_TYPE_UNIT:
                tags |= {"unit_text": parsed.submitter_text, "unit_code": submitter, "source": "self"}
                present = {row["indicator_code"] for row in rows}
                # A later return of a unit that already reported the period may carry only the values it
                # corrects: the rest stay as reported (supersession is per value), so none is missing.
                required = (
                    []
                    if (submitter, period) in prior
                    else self._required(self.reference.unit_tier.get(submitter), period)
                )
                rows = rows + [
                    {
                        "source_row": None,
                        "indicator_code": code,
                        "value_text": "",
                        "value": None,
                        "placeholder": False,
                        "withdrawn": False,
                        "formula": "",
                    }
                    for code in required
                    if code not in present
                ]
                prior.add((submitter, period))
            else:
                tags |= {"unit_code": None, "source": submitter}
            records += [row | tags for row in rows]
        return self._with_facts(pd.DataFrame.from_records(records))

    def _with_facts(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add the indicator facts and the derived columns the rules check."""
        if frame.unit_code.isna().any():
            frame["unit_code"] = frame.unit_code.fillna(frame.unit_text.map(self.identifier.resolve))
        frame = frame.merge(self._facts, on="indicator_code", how="left")
        frame["value"] = frame.value.astype(float)
        frame["unit_tier"] = frame.unit_code.map(self.reference.unit_tier)
        frame["withdrawn"] = frame.withdrawn.fillna(False).astype(bool)
        frame["formula"] = frame.formula.fillna("")
        frame["expected_zh"] = [
            expected_zh(t, na, f) for t, na, f in zip(frame.value_type, frame.allow_na, frame.formula)
        ]
        frame["is_na"] = frame.placeholder.astype(bool) & (frame.allow_na == "true")
        frame["reportable_key"] = frame.source + ":" + frame.unit_tier.fillna("") + ":" + frame.indicator_code
        frame["value_fraction"] = frame.value - np.floor(frame.value)
        frame = self._with_wholes(frame)
        frame["source_row"] = frame.source_row.astype("Int64")
        frame["row_id"] = frame.index
        return frame

    def _with_wholes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add, on each part row of a part <= whole pair, the whole's value from the same return."""
        frame["whole_code"] = frame.indicator_code.map(dict(self.settings.part_whole)).astype(
            frame.indicator_code.dtype
        )
        wholes = (
            frame[["file_key", "unit_code", "indicator_code", "value"]]
            .drop_duplicates(["file_key", "unit_code", "indicator_code"])
            .rename(columns={"indicator_code": "whole_code", "value": "whole_value"})
        )
        return frame.merge(wholes, on=["file_key", "unit_code", "whole_code"], how="left")

    def _required(self, tier: str | None, period: str) -> list[str]:
        """Self-reported indicators a unit return of the tier and period must contain (annual-only
        indicators in the Q4 return only)."""
        key = (tier, period)
        if key not in self._required_cache:
            self._required_cache[key] = (
                []
                if tier is None
                else list(
                    self.reference.indicators_for(tier, "self", period).query("required == 'true'").indicator_code
                )
            )
        return self._required_cache[key]

    @cached_property
    def _facts(self) -> pd.DataFrame:
        """Per indicator: kind, name, unit of measure, value type and whether 不适用 is allowed."""
        return self.reference.indicators[
            ["indicator_code", "kind", "indicator_name_zh", "unit_of_measure", "value_type", "allow_na"]
        ].rename(columns={"indicator_name_zh": "indicator_name", "unit_of_measure": "uom"})


def expected_zh(value_type: object, allow_na: object, formula: str) -> str:
    """What to write in a value cell of this type (the fix of not_a_number), in Chinese."""
    known = catalogue().value_types.get(value_type if isinstance(value_type, str) else "")
    text = known["expected_zh"] if known else "请填写阿拉伯数字"
    if allow_na == "true":
        text += "；确实不适用的填“不适用”"
    text += "；说明、附件等内容请写在“备注”列，本列只填数字"
    if formula:
        text = (
            f"该单元格是公式「{formula}」，文件中没有保存计算结果（常见于用程序生成或未重新计算的文件）："
            f"请在 Excel 或 WPS 中打开、确认显示出数值后保存，或直接填写数值。{text}"
        )
    return text
