"""Deterministic demo returns: every unit and evaluator for 2023Q1..2024Q4, with known defects."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from orchestration.clock import BEIJING
from orchestration.quarters import quarter_start, shift
from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.writer import Cell, write_return

PERIODS = tuple(f"{year}Q{quarter}" for year in (2023, 2024) for quarter in (1, 2, 3, 4))
RESUBMISSION_PERIOD = "2024Q3"
BAD_PERIOD = "2024Q4"
UNKNOWN_UNIT_CODE = "369999"
UNKNOWN_UNIT_NAME = "江西省示范新区"
CORRECTION_SUFFIX = "_更正"
# Output formats: (file suffix, csv encoding), weights 50/25/25.
FORMATS = ((".xlsx", ""), (".csv", "utf-8-sig"), (".csv", "gb18030"))
FORMAT_WEIGHTS = (2, 1, 1)
TOLERATED_SHARE = 0.4  # of units with circulated problems, the share that has some recognised as 容错
PROFILES = {"good": 0.6, "average": 0.0, "lagging": -0.6}
PROFILE_WEIGHTS = (1, 2, 1)
TRENDS = {"improving": 0.07, "flat": 0.0, "declining": -0.07}  # change of quality per quarter
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "海燕",
    "志强",
)


@dataclass
class DemoManifest:
    """What generate_demo wrote and what the ingest should make of it."""

    files: list[Path] = field(default_factory=list)
    bad_files: dict[str, str] = field(default_factory=dict)  # file name -> rule id
    resubmissions: list[str] = field(default_factory=list)  # file names of corrected returns
    expected_unit_returns: set[tuple[str, str]] = field(default_factory=set)  # (unit, period)


def _rng(seed: int, *keys: object) -> random.Random:
    """A random stream fixed by the seed and the keys (independent of call order)."""
    return random.Random("|".join(str(part) for part in (seed, *keys)))


def _quality(seed: int, unit_code: str, period_index: int) -> float:
    """The unit's latent quality in a quarter: profile + trend + noise, about -1..1."""
    rng = _rng(seed, "profile", unit_code)
    base = rng.choices(list(PROFILES.values()), PROFILE_WEIGHTS)[0] + rng.gauss(0, 0.15)
    slope = rng.choice(list(TRENDS.values()))
    noise = _rng(seed, "quarter", unit_code, period_index).gauss(0, 0.1)
    return max(-1.2, min(1.2, base + slope * (period_index - 3.5) + noise))


def _value(ind, target: float | None, quality: float, rng: random.Random) -> float | int:
    """A plausible value of one indicator for a unit of the given quality."""
    higher = ind.direction != "lower"
    q = quality if higher else -quality  # q > 0: better than average in the good direction
    kind = ind.value_type
    if kind == "flag":
        p_one = 0.75 + 0.25 * q if higher else 0.25 - 0.25 * q
        return int(rng.random() < max(0.02, min(0.98, p_one)))
    if kind in ("rate", "score"):
        centre = target if target is not None else (85.0 if kind == "score" or higher else 10.0)
        if higher and centre >= 95:  # e.g. 一窗受理率 100%: shortfall grows as quality drops
            value = 100 - max(0.0, (0.5 - q) * 8 + rng.gauss(0, 2))
        elif higher:  # spread scales with small targets (R&D intensity 1.88%) and stays below 100
            spread = max(0.5, min(centre * 0.4, 100 - centre, 20.0))
            value = centre + (q + 0.15) * spread + rng.gauss(0, spread * 0.3)
        else:
            value = centre * (1 - 0.6 * q) + rng.gauss(0, centre * 0.15)
        return round(max(0.0, min(100.0, value)), 2 if centre < 10 else 1)
    base = target if target is not None else 10.0
    mean = base * (1 + 0.5 * q) if higher else base * max(0.1, 1 - 0.6 * q)
    value = mean + rng.gauss(0, max(0.5, 0.15 * abs(mean)))
    if kind != "signed":  # only a signed value (e.g. a growth rate) may be negative
        value = max(0.0, value)
    return int(round(value)) if kind == "count" else round(value, 2)


def _as_typed(value: float | int, ind, csv: bool, rng: random.Random) -> Cell:
    """The cell as the clerk typed it: numbers in xlsx; in csv sometimes '85.3%' for rates."""
    if csv and ind.value_type == "rate" and rng.random() < 0.12:
        return f"{value:g}%"
    return value


def _signature(rng: random.Random, submitted: datetime) -> tuple[str, str, str]:
    """填表人, 联系电话, 填报日期 of a return."""
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    phone = (
        f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        if rng.random() < 0.5
        else f"0791-{rng.randrange(8000_0000, 8999_9999)}"
    )
    return name, phone, f"{submitted.year}年{submitted.month}月{submitted.day}日"


def _submitted_at(period: str, rng: random.Random, first_day: int, last_day: int) -> datetime:
    """A submission time in the days after the quarter ends (China Standard Time)."""
    start = datetime.combine(quarter_start(shift(period, 1)), time(), tzinfo=BEIJING)
    return start + timedelta(
        days=rng.randint(first_day, last_day),
        hours=rng.randint(8, 17),
        minutes=rng.randrange(60),
        seconds=rng.randrange(60),
    )


class _Writer:
    """Writes files into landing, stamps their mtime and records them in the manifest."""

    def __init__(self, landing: Path, manifest: DemoManifest) -> None:
        self.landing, self.manifest = landing, manifest

    def write(
        self,
        name: str,
        fmt: tuple[str, str],
        return_type: str,
        code: str,
        submitter: str,
        period: str,
        rows: list[list[Cell]],
        signature: tuple[str, str, str],
        when: datetime,
    ) -> str:
        """Write one return and set its modification time to `when`."""
        suffix, encoding = fmt
        path = write_return(
            self.landing / f"{name}{suffix}",
            return_type,
            code,
            submitter,
            period,
            rows,
            signature,
            encoding or "utf-8-sig",
            stamp=when,
        )
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
        self.manifest.files.append(path)
        return path.name


def generate_demo(landing: Path, seed: int = 2024, reference: Reference | None = None) -> DemoManifest:
    """Write the demo returns for every unit, evaluator and quarter into `landing`."""
    ref = reference if reference is not None else Reference.load()
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    manifest = DemoManifest()
    out = _Writer(landing, manifest)
    units = list(ref.units.itertuples())
    self_indicators = {tier: list(ref.indicators_for(tier, "self").itertuples()) for tier in ref.units.tier.unique()}
    targets = {
        (ind.indicator_code, tier): ref.target(ind.indicator_code, tier)
        for tier, inds in self_indicators.items()
        for ind in inds
    }
    in_return = {
        (tier, period): list(ref.indicators_for(tier, "self", period).itertuples())
        for tier in self_indicators
        for period in PERIODS
    }  # annual-only ones in Q4 only

    # Special cases, on distinct units: 2-3 corrected resubmissions and 4 bad returns.
    picker = _rng(seed, "special")
    order = picker.sample(units, len(units))
    with_rates = [u for u in order if any(i.value_type == "rate" for i in self_indicators[u.tier])]
    with_required = [u for u in order if sum(i.required == "true" for i in self_indicators[u.tier]) >= 2]
    bad_units: dict[str, str] = {}
    for rule, pool in (
        ("rate_out_of_range", with_rates),
        ("missing_indicator", with_required),
        ("not_a_number", order),
        ("duplicate_indicator", order),
    ):
        unit = next(u for u in pool if u.unit_code not in bad_units)
        bad_units[unit.unit_code] = rule
    resubmit = [u.unit_code for u in order if u.unit_code not in bad_units][: picker.choice((2, 3))]

    for unit in units:
        tier, code = unit.tier, unit.unit_code
        for index, period in enumerate(PERIODS):
            rng = _rng(seed, "return", code, period)
            fmt = rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
            quality = _quality(seed, code, index)
            inds = in_return[tier, period]
            values: list[float | int | str] = []
            for ind in inds:
                if ind.allow_na == "true" and rng.random() < 0.03:
                    values.append("不适用")
                else:
                    values.append(_value(ind, targets[ind.indicator_code, tier], quality, rng))
            rows = [
                [
                    seq,
                    ind.indicator_code,
                    ind.indicator_name_zh,
                    ind.unit_of_measure,
                    value if isinstance(value, str) else _as_typed(value, ind, fmt[0] == ".csv", rng),
                    None,
                ]
                for seq, (ind, value) in enumerate(zip(inds, values), start=1)
            ]
            when = _submitted_at(period, rng, 2, 12)
            signature = _signature(rng, when)
            name = f"{code}_{period}_{unit.short_name}"
            rule = bad_units.get(code) if period == BAD_PERIOD else None
            if rule:
                rows = _spoil(rows, rule, inds, rng)
                manifest.bad_files[
                    out.write(name, fmt, layout.RETURN_TYPE_UNIT, code, unit.unit_name, period, rows, signature, when)
                ] = rule
                continue
            out.write(name, fmt, layout.RETURN_TYPE_UNIT, code, unit.unit_name, period, rows, signature, when)
            manifest.expected_unit_returns.add((code, period))
            if period == RESUBMISSION_PERIOD and code in resubmit:
                fixed = _correct(rows, inds, rng)
                later = when + timedelta(days=rng.randint(2, 6), hours=rng.randint(1, 5))
                manifest.resubmissions.append(
                    out.write(
                        name + CORRECTION_SUFFIX,
                        fmt,
                        layout.RETURN_TYPE_UNIT,
                        code,
                        unit.unit_name,
                        period,
                        fixed,
                        _signature(rng, later),
                        later,
                    )
                )

    _write_unknown_unit(out, seed, ref, {tier: in_return[tier, BAD_PERIOD] for tier in self_indicators})
    _write_evaluations(out, seed, ref)
    return manifest


def _spoil(rows: list[list[Cell]], rule: str, inds: list, rng: random.Random) -> list[list[Cell]]:
    """Give a valid unit return exactly one defect of the named kind."""
    value_col = layout.UNIT_HEADER.index(layout.COL_VALUE)
    rows = [list(row) for row in rows]
    if rule == "rate_out_of_range":
        at = rng.choice([i for i, ind in enumerate(inds) if ind.value_type == "rate"])
        rows[at][value_col] = 120
    elif rule == "not_a_number":
        at = rng.choice([i for i, ind in enumerate(inds) if ind.value_type in ("rate", "score")] or range(len(inds)))
        rows[at][value_col] = "八十五"
    elif rule == "missing_indicator":
        drop = set(rng.sample([i for i, ind in enumerate(inds) if ind.required == "true"], 2))
        rows = [row for i, row in enumerate(rows) if i not in drop]
    elif rule == "duplicate_indicator":
        numeric = [i for i, row in enumerate(rows) if not isinstance(row[value_col], str)]
        at = rng.choice(numeric or range(len(rows)))
        rows.insert(at + 1, list(rows[at]))
    else:
        raise ValueError(f"unknown defect {rule!r}")
    for seq, row in enumerate(rows, start=1):
        row[0] = seq
    return rows


def _correct(rows: list[list[Cell]], inds: list, rng: random.Random) -> list[list[Cell]]:
    """A corrected copy of a return: one or two numeric values changed a little, noted in 备注."""
    value_col = layout.UNIT_HEADER.index(layout.COL_VALUE)
    note_col = layout.UNIT_HEADER.index(layout.COL_NOTE)
    rows = [list(row) for row in rows]
    numeric = [
        i for i, row in enumerate(rows) if isinstance(row[value_col], (int, float)) and inds[i].value_type != "flag"
    ]
    for at in rng.sample(numeric, min(len(numeric), rng.choice((1, 2)))):
        old, kind = rows[at][value_col], inds[at].value_type
        if kind == "count":
            new: float | int = old + rng.choice((1, 2, 3))
        else:
            new = round(old + rng.choice((-1, 1)) * max(0.5, abs(old) * 0.03), 1 if kind != "amount" else 2)
            new = max(0.0, min(100.0, new)) if kind in ("rate", "score") else max(0.0, new)
            if new == old:
                new = round(old - 0.5, 1) if old >= 0.5 else round(old + 0.5, 1)
        rows[at][value_col] = new
        rows[at][note_col] = "更正"
    return rows


def _write_unknown_unit(out: _Writer, seed: int, ref: Reference, self_indicators: dict) -> None:
    """An extra 2024Q4 return from a unit code that is not in units.csv."""
    rng = _rng(seed, "unknown-unit")
    tier = "county" if "county" in self_indicators else next(iter(self_indicators))
    inds = self_indicators[tier]
    rows = [
        [
            seq,
            ind.indicator_code,
            ind.indicator_name_zh,
            ind.unit_of_measure,
            _value(ind, ref.target(ind.indicator_code, tier), 0.0, rng),
            None,
        ]
        for seq, ind in enumerate(inds, start=1)
    ]
    when = _submitted_at(BAD_PERIOD, rng, 2, 12)
    name = out.write(
        f"{UNKNOWN_UNIT_CODE}_{BAD_PERIOD}_{UNKNOWN_UNIT_NAME}",
        rng.choices(FORMATS, FORMAT_WEIGHTS)[0],
        layout.RETURN_TYPE_UNIT,
        UNKNOWN_UNIT_CODE,
        UNKNOWN_UNIT_NAME,
        BAD_PERIOD,
        rows,
        _signature(rng, when),
        when,
    )
    out.manifest.bad_files[name] = "unknown_unit"


def _tolerated(seed: int, unit_code: str, period: str, incidents: Cell) -> int:
    """How many of a unit's circulated problems were recognised as 容错: never more than the problems
    (a stream of its own, so the other demo values do not move)."""
    rng = _rng(seed, "tolerated", unit_code, period)
    if not isinstance(incidents, int) or incidents < 1 or rng.random() >= TOLERATED_SHARE:
        return 0
    return rng.randint(1, incidents)


def _write_evaluations(out: _Writer, seed: int, ref: Reference) -> None:
    """Per quarter one return per evaluator that is the source of some indicator."""
    sources = set(ref.indicators.source)
    evaluators = [e for e in ref.evaluators.itertuples() if e.evaluator_code in sources]
    units = list(ref.units.itertuples())
    tiers = sorted(set(ref.units.tier))
    inds = {
        (tier, e.evaluator_code, period): list(ref.indicators_for(tier, e.evaluator_code, period).itertuples())
        for tier in tiers
        for e in evaluators
        for period in PERIODS
    }
    targets = {
        (ind.indicator_code, tier): ref.target(ind.indicator_code, tier)
        for (tier, _, _), rows in inds.items()
        for ind in rows
    }
    for index, period in enumerate(PERIODS):
        for evaluator in evaluators:
            code = evaluator.evaluator_code
            rng = _rng(seed, "evaluation", code, period)
            fmt = rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
            rows: list[list[Cell]] = []
            for unit in units:
                quality = _quality(seed, unit.unit_code, index)
                reported: dict[str, Cell] = {}
                for ind in inds[unit.tier, code, period]:
                    value: Cell
                    if ind.kind == "tolerated":
                        incidents = reported.get(ref.tolerated_of.get(ind.indicator_code, ""), 0)
                        value = _tolerated(seed, unit.unit_code, period, incidents)
                    elif ind.kind in ("bonus", "deduction"):
                        leaning = max(0.0, quality if ind.kind == "bonus" else -quality)
                        hit = rng.random() < 0.05 + 0.08 * leaning
                        value = rng.choices((1, 2, 3), (7, 2, 1))[0] if hit else 0
                    else:
                        raw = _value(ind, targets[ind.indicator_code, unit.tier], quality, rng)
                        value = _as_typed(raw, ind, fmt[0] == ".csv", rng)
                    reported[ind.indicator_code] = value
                    rows.append(
                        [
                            len(rows) + 1,
                            unit.unit_code,
                            unit.unit_name,
                            ind.indicator_code,
                            ind.indicator_name_zh,
                            ind.unit_of_measure,
                            value,
                            None,
                        ]
                    )
            when = _submitted_at(period, rng, 14, 20)
            out.write(
                f"{code}_{period}_评价",
                fmt,
                layout.RETURN_TYPE_EVALUATION,
                code,
                evaluator.evaluator_name,
                period,
                rows,
                _signature(rng, when),
                when,
            )
