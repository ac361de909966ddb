"""A return saved by a real spreadsheet program (LibreOffice, headless): formulas read as cached values."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from orchestration.returns import layout
from orchestration.returns.intake import Submission, judge
from orchestration.returns.validate import ReturnValidator
from tests.conftest import good_rows

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts install it for CI)")
def test_libreoffice_saved_workbook_with_formulas_is_accepted(tmp_path, reference):
    rows = good_rows(reference, "360124")
    rate = next(i for i, r in enumerate(rows) if r[3] == "%")
    rows[rate][4] = "=80+5.5"  # a clerk's formula; openpyxl stores it without a cached value
    book = Workbook()
    sheet = book.active
    sheet.title = layout.DATA_SHEET
    for row in [["进贤县填报表"], layout.meta_row("360124", "进贤县", "2024Q4"), [], list(layout.UNIT_HEADER), *rows]:
        sheet.append(list(row))
    source = tmp_path / "in" / "360124_2024Q4_进贤县.xlsx"
    source.parent.mkdir()
    book.save(source)
    out = tmp_path / "out"
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = out / source.name
    assert b"<Application>LibreOffice" in zipfile.ZipFile(saved).read("docProps/app.xml")
    (verdict,), _ = judge(
        [Submission(saved.name, saved.read_bytes(), datetime(2025, 1, 10, tzinfo=UTC))], ReturnValidator(reference)
    )
    assert verdict.status == "accepted", [i.describe() for i in verdict.issues]
    assert verdict.values.set_index("indicator_code").loc[rows[rate][1]].value == 85.5
