"""The return-rule catalogue is the one place a return rule lives: GX suites, the template's data
validation and the notices all come from it, and a new rule is one entry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from openpyxl import load_workbook

from orchestration.paths import EXPECTATIONS_DIR, PROJECT_ROOT
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.intake import Submission, judge
from orchestration.returns.issues import ERROR
from orchestration.returns.rules import ALL_KINDS, CATALOGUE_FILE, Catalogue, catalogue
from orchestration.returns.settings import ValidationSettings
from orchestration.returns.validate import SUITE_FOR_TYPE, WARNINGS_SUITE, ReturnValidator
from orchestration.returns.writer import write_return
from orchestration.template import write_template
from tests.conftest import GOOD_VALUE, good_rows, write_csv_return

UNIT, NAME, PERIOD = "360124", "进贤县", "2024Q4"
IN_TIME = datetime(2025, 1, 10, 9, tzinfo=UTC)


def _verdict(validator: ReturnValidator, path: Path):
    (verdict,), _ = judge([Submission(path.name, path.read_bytes(), IN_TIME)], validator)
    return verdict


def _with_extra_rule(tmp_path: Path, entry: dict) -> Catalogue:
    """The repository's catalogue plus one entry, as a contributor would add it."""
    spec = yaml.safe_load((EXPECTATIONS_DIR / CATALOGUE_FILE).read_text(encoding="utf-8"))
    spec["rules"].append(entry)
    path = tmp_path / CATALOGUE_FILE
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Catalogue.load(path)


def test_catalogue_is_well_formed() -> None:
    rules = catalogue()
    kinds = set(rules.suite_for_kind)
    assert kinds == {layout.RETURN_TYPE_UNIT, layout.RETURN_TYPE_EVALUATION}
    for rule in rules.rules:
        assert rule.severity in {"error", "warning"} and rule.scope in {"file", "row"}, rule.id
        assert rule.return_kinds == ALL_KINDS or set(rule.return_kinds) <= kinds, rule.id
        assert set(rule.value_types) <= set(rules.value_types), rule.id
        assert rule.message_zh and rule.fix_zh, rule.id
        if rule.expect:
            assert rule.column_zh and rule.expect.startswith("expect_"), rule.id
    for kind, suite in rules.suite_for_kind.items():  # one entry per recorded rule code and kind
        codes = [e["meta"]["rule"] for e in rules.suite(suite)["expectations"]]
        assert len(codes) == len(set(codes)), kind


def test_every_suite_expectation_is_a_catalogue_entry(reference) -> None:
    """The suites the validator runs are exactly the catalogue's GX rules: blocking ones per
    return kind, warnings in the warnings suite, in catalogue order."""
    validator = ReturnValidator(reference)
    rules = catalogue()
    run = {
        name: [e.meta["rule"] for e in validator.suite(name).expectations]
        for name in [*SUITE_FOR_TYPE.values(), WARNINGS_SUITE]
    }
    for kind, suite in SUITE_FOR_TYPE.items():
        assert run[suite] == [r.rule for r in rules.rules if r.expect and r.severity == ERROR and r.applies_to(kind)]
    assert run[WARNINGS_SUITE] == [r.rule for r in rules.rules if r.expect and r.severity == "warning"]
    assert not (EXPECTATIONS_DIR / "unit_return.json").exists(), "no second copy of the suites"


def test_template_limits_come_from_the_catalogue(tmp_path, reference, monkeypatch) -> None:
    """Tighten the rate rule in a copy of the catalogue: the template's validation follows."""
    spec = yaml.safe_load((EXPECTATIONS_DIR / CATALOGUE_FILE).read_text(encoding="utf-8"))
    rate = next(r for r in spec["rules"] if r["id"] == "rate_out_of_range")
    rate["kwargs"]["max_value"] = 90
    path = tmp_path / CATALOGUE_FILE
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    tightened = Catalogue.load(path)
    monkeypatch.setattr("orchestration.template.catalogue", lambda: tightened)
    sheet = load_workbook(write_template(tmp_path / "t.xlsx", UNIT, PERIOD, reference))[layout.DATA_SHEET]
    by_type = reference.indicators.set_index("indicator_code").value_type
    seen = set()
    for validation in sheet.data_validations.dataValidation:
        row = int(str(validation.sqref).lstrip("ABCDEFGH"))
        value_type = by_type[sheet.cell(row, 2).value]
        limits = tightened.limits(value_type)
        if validation.type == "custom":
            continue
        seen.add(value_type)
        if limits.one_of:
            assert validation.type == "list" and validation.formula1 == '"0,1"'
            continue
        if limits.maximum is not None:
            assert validation.formula2 == f"{limits.maximum:g}", value_type
        if limits.minimum is not None:
            assert validation.formula1 == f"{limits.minimum:g}", value_type
        assert (validation.type == "whole") == limits.whole and (validation.type == "list") == bool(limits.one_of)
    assert "rate" in seen and tightened.limits("rate").maximum == 90


def test_a_new_rule_is_one_catalogue_entry(tmp_path, reference) -> None:
    """One entry (here: amounts at most 1000) is checked at intake and worded in the notice."""
    rules = _with_extra_rule(
        tmp_path,
        {
            "id": "amount_too_large",
            "return_kinds": ["unit"],
            "severity": "error",
            "scope": "row",
            "column_zh": "填报值",
            "message_zh": "指标「{indicator_code}」的 {value_text} 超过 1000",
            "fix_zh": "请核对数量级",
            "expect": "expect_column_values_to_be_between",
            "value_types": ["amount"],
            "kwargs": {"column": "value", "max_value": 1000},
        },
    )
    rows = good_rows(reference, UNIT)
    at = next(
        i
        for i, r in enumerate(rows)
        if GOOD_VALUE["amount"] == r[4]
        and reference.indicators.set_index("indicator_code").value_type[r[1]] == "amount"
    )
    rows[at][4] = 5000
    path = write_csv_return(tmp_path / f"{UNIT}_{PERIOD}_x.csv", UNIT, NAME, PERIOD, rows)
    verdict = _verdict(ReturnValidator(reference, rules=rules), path)
    (issue,) = verdict.issues
    assert (issue.rule, issue.source_row) == ("amount_too_large", 5 + at)
    assert issue.message_zh == f"指标「{rows[at][1]}」的 5000 超过 1000" and issue.fix_zh == "请核对数量级"
    assert rules.limits("amount").maximum == 1000  # and the template now says so too
    assert _verdict(ReturnValidator(reference), path).status == "accepted"  # not in the repository's catalogue


def test_score_above_100_is_rejected(tmp_path, reference) -> None:
    """score_out_of_range: the catalogue entry that made the gate agree with the template (0-100);
    scores are reported by evaluators."""
    evaluator = next(
        code
        for code in reference.evaluators.evaluator_code
        if (reference.indicators_for(reference.unit_tier[UNIT], code, PERIOD).value_type == "score").any()
    )
    rows, seq = [], 0
    for unit in reference.units.itertuples():
        for ind in reference.indicators_for(unit.tier, evaluator, PERIOD).itertuples():
            seq += 1
            value = 120 if unit.unit_code == UNIT and ind.value_type == "score" else GOOD_VALUE[ind.value_type]
            rows.append(
                [
                    seq,
                    unit.unit_code,
                    unit.unit_name,
                    ind.indicator_code,
                    ind.indicator_name_zh,
                    ind.unit_of_measure,
                    value,
                    "",
                ]
            )
    path = write_return(
        tmp_path / f"{evaluator}_{PERIOD}_x.csv",
        layout.RETURN_TYPE_EVALUATION,
        evaluator,
        reference.unit_name[evaluator],
        PERIOD,
        rows,
    )
    verdict = _verdict(ReturnValidator(reference), path)
    assert {i.rule for i in verdict.issues} == {"score_out_of_range"}
    assert all("0 至 100" in i.message_zh for i in verdict.issues)


def test_part_whole_pairs_are_per_framework(tmp_path) -> None:
    """Yichun's tolerated count YDD1T may not exceed YDD1: checked at intake with Yichun's
    framework, while the Jiangxi default keeps DD01T <= DD01."""
    yichun = Reference.load(PROJECT_ROOT / "frameworks" / "yichun")
    assert ("YDD1T", "YDD1") in ValidationSettings.load(seeds_dir=yichun.seeds_dir).part_whole
    assert ValidationSettings.load().part_whole == (("DD01T", "DD01"),)
    unit = yichun.units.unit_code.iloc[0]
    evaluator = yichun.indicators.set_index("indicator_code").source["YDD1"]
    period = "2024Q3"
    rows, seq = [], 0
    for row in yichun.units.itertuples():
        for ind in yichun.indicators_for(row.tier, evaluator, period).itertuples():
            seq += 1
            value = (
                {"YDD1": 1, "YDD1T": 3}.get(ind.indicator_code, GOOD_VALUE[ind.value_type])
                if row.unit_code == unit
                else GOOD_VALUE[ind.value_type]
            )
            rows.append(
                [
                    seq,
                    row.unit_code,
                    row.unit_name,
                    ind.indicator_code,
                    ind.indicator_name_zh,
                    ind.unit_of_measure,
                    value,
                    "",
                ]
            )
    path = write_return(
        tmp_path / f"{evaluator}_{period}_x.csv",
        layout.RETURN_TYPE_EVALUATION,
        evaluator,
        yichun.unit_name[evaluator],
        period,
        rows,
    )
    (verdict,), _ = judge(
        [Submission(path.name, path.read_bytes(), datetime(2024, 10, 8, tzinfo=UTC))], ReturnValidator(yichun)
    )
    assert [(i.rule, i.value_seen) for i in verdict.issues] == [("part_exceeds_whole", "3")]


def test_framework_settings_file_overrides_keys(tmp_path) -> None:
    folder = tmp_path / "framework"
    folder.mkdir()
    for name in ("periods.csv", "framework_indicators.csv"):
        (folder / name).write_bytes((PROJECT_ROOT / "seeds" / name).read_bytes())
    (folder / "validation_settings.json").write_text('{"part_whole": [["A", "B"]], "change_warning_ratio": 0.25}')
    settings = ValidationSettings.load(seeds_dir=folder)
    assert settings.part_whole == (("A", "B"), ("DD01T", "DD01")) and settings.change_warning_ratio == 0.25
    assert settings.max_file_bytes == ValidationSettings.load().max_file_bytes


def test_read_time_wording_comes_from_the_catalogue() -> None:
    issue = catalogue().issue("file_too_large", size=6_000_000, limit=5_242_880)
    assert issue.message_zh == "文件大小 6,000,000 字节，超过上限 5,242,880 字节" and issue.severity == ERROR
    assert catalogue().issue("no_value_column", column="填报值", sheet="填报表").rule == "no_header"
