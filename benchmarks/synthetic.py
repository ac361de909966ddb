"""Synthetic data at a chosen scale: a framework folder (the demo framework with N units) and
accepted returns written straight into the raw tables, as intake would leave them."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb

from orchestration.home import CONFIG_FILE, Home
from orchestration.paths import SEEDS_DIR
from orchestration.warehouse import connect, ensure_raw_tables

FRAMEWORK_FOLDER = "framework"
FIRST_QUARTER = "2024Q1"  # the demo framework's current version (v2024) scores from here


def quarters(count: int, first: str = FIRST_QUARTER) -> list[str]:
    """`count` consecutive quarters from `first` (2024Q1, 2024Q2, ...)."""
    index = int(first[:4]) * 4 + int(first[5]) - 1
    return [f"{(index + i) // 4}Q{(index + i) % 4 + 1}" for i in range(count)]


def write_framework(folder: Path, scale: int) -> int:
    """Copy the demo framework (seeds/) into `folder` with `scale` units: the real units first,
    then synthetic ones (S0000001, ...) spread over the peer groups in the real units' proportions;
    returns the number of units written."""
    shutil.copytree(SEEDS_DIR, folder, dirs_exist_ok=True)
    with (SEEDS_DIR / "units.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, real = reader.fieldnames, list(reader)
    units = real[:scale]
    for i in range(len(units), scale):
        model = real[i % len(real)]
        code = f"S{i:07d}"
        units.append({**model, "unit_code": code, "unit_name": f"合成单位{code}", "short_name": code, "aliases": ""})
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(units)
    return len(units)


# One accepted unit return per unit and quarter (the self-reported indicators of its tier) and one
# accepted evaluation return per evaluator and quarter (its indicators for every unit). Values are
# a deterministic hash of (unit, indicator, quarter): flags 0/1, scores 60-100, others 0-120.
VALUES_SQL = """
create temp table units as select * from read_csv('{framework}/units.csv', all_varchar = true);
create temp table indicators as select * from read_csv('{framework}/indicators.csv', all_varchar = true);
create temp table bench_quarters as select unnest({quarters}::varchar[]) as period;
create temp table wanted as
select u.unit_code, q.period, i.indicator_code, i.source, i.value_type,
       case when i.source = 'self' then 'unit' else 'evaluation' end as return_type,
       case when i.source = 'self' then u.unit_code else i.source end as submitter_code
from units u
cross join bench_quarters q
join indicators i
  on i.kind = 'scored' and list_contains(string_split(i.tiers, '|'), u.tier);
create temp table files as
select md5(submitter_code || '/' || period) || md5(period || '/' || submitter_code) as sha256,
       any_value(return_type) as return_type, submitter_code, period
from wanted group by submitter_code, period;
insert into raw.return_files
select f.sha256, f.submitter_code || '_' || f.period || '_synthetic.xlsx', 'synthetic/' || f.sha256,
       p.deadline::timestamp, p.deadline::timestamp, 0, f.return_type, f.submitter_code, f.period,
       'accepted', '', 0, 0
from files f join read_csv('{framework}/periods.csv', all_varchar = true) p using (period);
insert into raw.return_values
select md5(w.submitter_code || '/' || w.period) || md5(w.period || '/' || w.submitter_code),
       w.unit_code, w.period, w.indicator_code, v.value, v.value::varchar, false, '填报表',
       row_number() over (partition by w.submitter_code, w.period order by w.unit_code, w.indicator_code)::integer,
       false
from wanted w,
lateral (select (hash(w.unit_code || '|' || w.indicator_code || '|' || w.period) % 1000000) / 1e6 as u) h,
lateral (select case w.value_type
                  when 'flag' then (h.u < 0.9)::int::double
                  when 'score' then round(60 + 40 * h.u, 1)
                  else round(120 * h.u, 1) end as value) v;
"""


def write_home(root: Path, scale: int, quarter_count: int) -> dict[str, int]:
    """A fresh home at `root` scored with a synthetic framework of `scale` units and
    `quarter_count` quarters of accepted returns in its raw tables; row counts written."""
    if root.exists():
        shutil.rmtree(root)
    home = Home(root).ensure()
    units = write_framework(root / FRAMEWORK_FOLDER, scale)
    (root / CONFIG_FILE).write_text(f'framework = "{FRAMEWORK_FOLDER}"\n', encoding="utf-8")
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        con.execute(VALUES_SQL.format(framework=(root / FRAMEWORK_FOLDER).as_posix(), quarters=quarters(quarter_count)))
        files, values = (
            con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in ("return_files", "return_values")
        )
    return {"units": units, "quarters": quarter_count, "return_files": files, "values": values}


def read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse file."""
    return duckdb.connect(str(path), read_only=True)
