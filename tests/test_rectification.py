"""The rectification ledger (整改台账): office items, unit reports with archived evidence, 销号 and
退回. Deadlines, status and overdue are dbt rules (unit test `ledger_deadlines_status_and_overdue`)."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.cli import main
from orchestration.home import Home
from orchestration.lifecycle import ensure_lifecycle_tables
from orchestration.rectification import act, open_item


@pytest.fixture
def ledger(tmp_path):
    home = Home.resolve(tmp_path / "home").ensure()
    con = duckdb.connect(str(home.warehouse))
    ensure_lifecycle_tables(con)
    con.execute(
        "insert into ops.rectification_findings values ('R-360124-2024Q4-SV101', 'red_light', '360124', "
        "'2024Q4', 'SV101', '红灯', now())"
    )
    yield home, con
    con.close()


def test_items_are_reported_closed_or_sent_back_in_order(ledger, reference, tmp_path):
    home, con = ledger
    with pytest.raises(ValueError, match="未知单位代码"):
        open_item(con, reference, "999999", "2024Q4", "台账不全", "考核办")
    office = open_item(con, reference, "360124", "2024Q4", "政务公开栏目更新不及时", "考核办")
    red = "R-360124-2024Q4-SV101"
    with pytest.raises(ValueError, match="没有编号为 ZGNONE"):
        act(home, con, "ZGNONE", "close", "考核办")
    with pytest.raises(ValueError, match="整改措施"):
        act(home, con, red, "report", "进贤县")
    evidence = tmp_path / "整改报告.docx"
    evidence.write_bytes(b"PK evidence")
    act(home, con, red, "report", "进贤县", measures="已补报并建立周报制度", done=True, evidence=evidence)
    with pytest.raises(ValueError, match="退回须说明理由"):
        act(home, con, red, "send_back", "考核办")
    act(home, con, red, "send_back", "考核办", note="佐证不足")
    act(home, con, red, "close", "考核办")
    with pytest.raises(ValueError, match="已销号"):
        act(home, con, red, "report", "进贤县", measures="再报")
    act(home, con, office, "close", "考核办", note="已更新")
    rows = con.execute(
        "select item_id, action, evidence_path from ops.rectification_actions order by acted_at"
    ).fetchall()
    assert [(i, a) for i, a, _ in rows] == [
        (office, "open"),
        (red, "report"),
        (red, "send_back"),
        (red, "close"),
        (office, "close"),
    ]
    assert (home.root / rows[1][2]).read_bytes() == b"PK evidence"


def test_the_cli_opens_and_closes_an_item(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert (
        main(
            [
                "rectify",
                "open",
                "--unit",
                "360124",
                "--period",
                "2024q4",
                "--problem",
                "台账不全",
                "--no-run",
                "--deadline",
                "2025-03-01",
                "--home",
                home,
            ]
        )
        == 0
    )
    item = capsys.readouterr().out.split()[1]
    assert item.startswith("ZG")
    assert main(["rectify", "close", item, "--no-run", "--home", home]) == 0
    assert main(["rectify", "send-back", item, "--note", "x", "--home", home]) == 2
    assert "已销号" in capsys.readouterr().err
