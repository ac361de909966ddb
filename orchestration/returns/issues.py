"""Problems found in a return, and the rule catalogue they come from."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem in one return: where it is, what was seen, and how to fix it (in Chinese)."""

    rule: str
    severity: str
    message_zh: str
    fix_zh: str
    sheet: str | None = None
    source_row: int | None = None
    column_name: str | None = None
    value_seen: str | None = None

    def as_record(self, sha256: str) -> dict[str, object]:
        """A row for raw.return_issues."""
        return {"sha256": sha256, **asdict(self)}

    def describe(self) -> str:
        """One line for a notice: location, problem and fix."""
        where = []
        if self.sheet:
            where.append(f"工作表「{self.sheet}」")
        if self.source_row:
            where.append(f"第 {self.source_row} 行")
        if self.column_name:
            where.append(f"「{self.column_name}」列")
        location = "".join(where) or "整个文件"
        seen = f"（填写的是「{self.value_seen}」）" if self.value_seen not in (None, "") else ""
        return f"{location}：{self.message_zh}{seen}。修改方法：{self.fix_zh}（规则 {self.rule}）"
