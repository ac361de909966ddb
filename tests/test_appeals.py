"""Appeals (申诉/复核): recorded with their evidence archived, decided by the office; the mart's
rule (only a later corrected return closes an upheld appeal) is a dbt unit test in _marts.yml."""

from __future__ import annotations

import json
import re
from datetime import datetime

import duckdb
import pytest

from orchestration.appeals import decide_appeal, file_appeal
from orchestration.cli import main
from orchestration.home import Home
from orchestration.lifecycle import FINALIZE, decide, ensure_lifecycle_tables
from orchestration.warehouse import ensure_raw_tables


@pytest.fixture
def setting(tmp_path):
    home = Home.resolve(tmp_path / "home").ensure()
    con = duckdb.connect(str(home.warehouse))
    ensure_raw_tables(con)
    ensure_lifecycle_tables(con)
    yield home, con
    con.close()


def test_an_appeal_archives_its_evidence_and_is_decided_once_with_a_reason(setting, reference, tmp_path):
    home, con = setting
    evidence = tmp_path / "证明材料.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    with pytest.raises(ValueError, match="未知指标代码 XX01"):
        file_appeal(home, con, reference, "360124", "2024Q4", "XX01", "偏低", evidence, "进贤县")
    with pytest.raises(ValueError, match="未知单位代码"):
        file_appeal(home, con, reference, "999999", "2024Q4", "SV101", "偏低", evidence, "进贤县")
    appeal = file_appeal(home, con, reference, "360124", "2024Q4", "SV101", "漏报一项已办结事项", evidence, "进贤县")
    sha, stored, status = con.execute("select evidence_sha256, evidence_path, status from ops.appeals").fetchone()
    assert status == "pending"
    assert (home.root / stored).read_bytes() == evidence.read_bytes()
    sidecar = json.loads((home.root / stored).with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["file_name"] == "证明材料.pdf" and sidecar["sha256"] == sha
    with pytest.raises(ValueError, match="复核理由"):
        decide_appeal(con, appeal.appeal_id, "upheld", "考核办", " ")
    message = decide_appeal(con, appeal.appeal_id, "upheld", "考核办", "材料属实")
    assert "更正填报" in message and "reopen" not in message
    with pytest.raises(ValueError, match="已办结"):
        decide_appeal(con, appeal.appeal_id, "rejected", "考核办", "重复")
    assert con.execute("select status, decided_by, decision_reason from ops.appeals").fetchall() == [
        ("upheld", "考核办", "材料属实")
    ]


def test_an_upheld_appeal_on_a_final_period_says_to_reopen_it_first(setting, reference):
    home, con = setting
    con.execute(
        "insert into raw.return_files values ('s', 'f.csv', 'a', ?, ?, 1, 'unit', '360124', '2024Q4', "
        "'accepted', '', 0, 0)",
        [datetime(2025, 1, 10), datetime(2025, 1, 10)],
    )
    decide(con, "2024Q4", FINALIZE, "考核办")
    appeal = file_appeal(home, con, reference, "360124", "2024Q4", "SV101", "偏低", None, "进贤县")
    assert "wuxing reopen 2024Q4" in decide_appeal(con, appeal.appeal_id, "upheld", "考核办", "属实")


def test_the_cli_records_and_decides_an_appeal(tmp_path, capsys):
    home = tmp_path / "home"
    assert (
        main(
            [
                "appeal",
                "--unit",
                "360124",
                "--period",
                "2024q4",
                "--indicator",
                "SV101",
                "--claim",
                "偏低",
                "--no-run",
                "--home",
                str(home),
            ]
        )
        == 0
    )
    appeal_id = re.search(r"SS[0-9A-F]{8}", capsys.readouterr().out).group()
    assert (
        main(
            [
                "decide-appeal",
                appeal_id,
                "--outcome",
                "rejected",
                "--reason",
                "无新证据",
                "--no-run",
                "--home",
                str(home),
            ]
        )
        == 0
    )
    assert "不予支持" in capsys.readouterr().out
    assert main(["decide-appeal", "SSNONE", "--outcome", "rejected", "--reason", "x", "--home", str(home)]) == 2
