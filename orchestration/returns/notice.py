"""The notice a submitter reads: verdict and every problem of a return, in Chinese."""

from __future__ import annotations

from datetime import datetime

from orchestration.clock import beijing_text
from orchestration.returns.issues import ERROR, WARNING
from orchestration.returns.validate import Verdict


def render_notice(
    file_name: str,
    sha256: str,
    verdict: Verdict,
    unit_name: str | None,
    received_at: datetime | None = None,
    supersession: str | None = None,
) -> str:
    """A plain-text notice listing every problem of the return, blocking ones first; for an
    accepted later return, `supersession` says what it replaced and what stays."""
    errors = [i for i in verdict.issues if i.severity == ERROR]
    warnings = [i for i in verdict.issues if i.severity == WARNING]
    title = "退回通知 / Rejection notice" if errors else "受理回执 / Acceptance receipt"
    lines = [
        f"“五型”政府建设量化指标填报 {title}",
        f"文件：{_printable(file_name)}",
        f"文件指纹（SHA-256）：{sha256}",
        f"填报单位：{unit_name or '未识别'}（{verdict.submitter_code or '未填写'}）  报告期：{verdict.period or '未识别'}",
    ]
    if received_at is not None:
        lines.append(f"接收时间：{beijing_text(received_at, seconds=True)}")
    if errors:
        lines.append(f"结论：退回。共发现 {len(errors)} 个必须修改的问题，请全部修改后重新报送整份文件。")
        lines += [f"{n}. {issue.describe()}" for n, issue in enumerate(errors, start=1)]
    else:
        lines.append("结论：已受理。")
        if supersession:
            lines.append(f"本表与此前报送的数据：{supersession}。")
    if warnings:
        lines.append(f"提示（不影响受理，请核实）：共 {len(warnings)} 项。")
        lines += [f"{n}. {issue.describe()}" for n, issue in enumerate(warnings, start=1)]
    return "\n".join(lines) + "\n"


def _printable(text: str) -> str:
    """A file name with newlines and other control characters shown as escapes, so it stays one line."""
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)
