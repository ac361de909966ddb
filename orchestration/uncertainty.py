"""Rank uncertainty and sensitivity (issue 18): sample the framework's declared uncertain choices
(SALib, seeded), let dbt re-score one period once per replication with the production aggregation
(models tagged `uncertainty`), then Sobol indices of the rank shift per choice.

Python only samples the choices and analyses the variance; every score comes from dbt.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.home import Home
from orchestration.warehouse import connect, table_exists

CHOICES_FILE = "uncertainty_choices.csv"  # in the framework folder; optional
DEFAULT_WEIGHT_RANGE = 0.25  # each weight drawn in [1 - r, 1 + r] x nominal, re-normalised
DEFAULT_REPLICATIONS = 500
DEFAULT_SEED = 18
MISSING_CHOICE = "missing_policy"
SCHEMA = "uncertainty"


@dataclass(frozen=True)
class Choices:
    """The uncertain choices of one framework version: weight range per node, missing policy switch."""

    framework_version: str
    weight_ranges: dict[str, float] = field(default_factory=dict)  # node or indicator -> r
    weight_groups: dict[str, str] = field(default_factory=dict)  # node or indicator -> choice name
    switch_missing_policy: bool = False

    @property
    def groups(self) -> list[str]:
        """The choices Sobol indices are reported for, in a fixed order."""
        names = sorted(set(self.weight_groups[code] for code in self.weight_ranges))
        return names + ([MISSING_CHOICE] if self.switch_missing_policy else [])


def declared_choices(con: duckdb.DuckDBPyConnection, framework: Path, version: str) -> Choices:
    """The version's uncertain choices: the framework folder's uncertainty_choices.csv (columns
    framework_version, choice = weight | missing_policy, node_code, weight_range) or, without it,
    every weight ±25% and the missing policy switched. Weights are grouped by tree depth."""
    nodes = con.execute(
        "select node_code, depth from intermediate.int_framework_nodes_resolved "
        "where framework_version = ? and parent_code is not null",
        [version],
    ).df()
    group = {code: f"weights_depth_{depth}" for code, depth in zip(nodes.node_code, nodes.depth)}
    path = framework / CHOICES_FILE
    if not path.exists():
        return Choices(version, {code: DEFAULT_WEIGHT_RANGE for code in group}, group, True)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table[table.framework_version == version]
    weights = table[table.choice == "weight"]
    unknown = sorted(set(weights.node_code) - set(group))
    if unknown:
        raise ValueError(f"{path.name}: 指标体系 {version} 中没有节点 / no such node in {version}: {unknown}")
    ranges = {code: float(r) for code, r in zip(weights.node_code, weights.weight_range) if float(r) > 0}
    return Choices(version, ranges, group, bool((table.choice == MISSING_CHOICE).any()))


def sample(choices: Choices, replications: int, seed: int) -> tuple[dict, np.ndarray]:
    """A Saltelli design (SALib, scrambled Sobol sequence, seeded) of about `replications` rows
    over the choices' variables: one weight factor per node, one [0, 1) draw for the missing
    policy (switched below 0.5). Without any variable: `replications` rows of nominal choices."""
    names = sorted(choices.weight_ranges) + ([MISSING_CHOICE] if choices.switch_missing_policy else [])
    if not names:
        return {"num_vars": 0, "names": [], "groups": [], "bounds": []}, np.ones((replications, 0))
    from SALib.sample import sobol

    problem = {
        "num_vars": len(names),
        "names": names,
        "groups": [choices.weight_groups.get(name, MISSING_CHOICE) for name in names],
        "bounds": [
            [1 - choices.weight_ranges[n], 1 + choices.weight_ranges[n]] if n != MISSING_CHOICE else [0.0, 1.0]
            for n in names
        ],
    }
    base = max(2, round(replications / (len(choices.groups) + 2)))
    with warnings.catch_warnings():  # SALib prefers powers of two; the count asked for wins
        warnings.simplefilter("ignore")
        design = sobol.sample(problem, base, calc_second_order=False, seed=seed)
    return problem, design


def write_replicates(
    con: duckdb.DuckDBPyConnection, period: str, choices: Choices, problem: dict, design: np.ndarray, seed: int
) -> None:
    """The run-parameter tables the dbt models read (uncertainty.replicates, .replicate_weights)."""
    names = problem["names"]
    switched = (
        design[:, names.index(MISSING_CHOICE)] < 0.5 if MISSING_CHOICE in names else np.zeros(len(design), dtype=bool)
    )
    replicates = pd.DataFrame(
        {
            "replicate": np.arange(1, len(design) + 1, dtype="int64"),
            "period": period,
            "framework_version": choices.framework_version,
            "missing_policy_switched": switched,
            "seed": seed,
        }
    )
    weight_names = [n for n in names if n != MISSING_CHOICE]
    weights = pd.DataFrame(design[:, [names.index(n) for n in weight_names]], columns=weight_names)
    weights = weights.assign(replicate=replicates.replicate).melt(
        id_vars="replicate", var_name="node_code", value_name="weight_factor"
    )
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create or replace table {SCHEMA}.replicates as select * from replicates")
    con.execute(
        f"create or replace table {SCHEMA}.replicate_weights as "
        "select replicate::bigint as replicate, node_code::varchar as node_code, "
        "weight_factor::double as weight_factor from weights"
    )


def rank_shift(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """Per replication: the mean absolute shift of the units' ranks from the published ranks
    (COINr's sensitivity target), from intermediate.int_unit_ranks_replicated."""
    return (
        con.execute(
            "select replicate, avg(abs(rank_in_group - production_rank)) as shift "
            "from intermediate.int_unit_ranks_replicated group by replicate order by replicate"
        )
        .df()
        .set_index("replicate")["shift"]
    )


def sensitivity(problem: dict, shift: pd.Series, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices (SALib, Saltelli/Jansen estimators, bootstrap 95%
    confidence) of the rank shift for each choice; null when the ranks never move."""
    groups = list(dict.fromkeys(problem["groups"]))
    frame = pd.DataFrame({"choice": groups})
    if not groups or shift.var() == 0:
        return frame.assign(first_order=np.nan, first_order_conf=np.nan, total_order=np.nan, total_order_conf=np.nan)
    from SALib.analyze import sobol

    result = sobol.analyze(problem, shift.to_numpy(dtype=float), calc_second_order=False, seed=seed)
    return frame.assign(
        first_order=result["S1"],
        first_order_conf=result["S1_conf"],
        total_order=result["ST"],
        total_order_conf=result["ST_conf"],
    )


@dataclass(frozen=True)
class Analysis:
    """What one analysis did: period, version, replications, seconds."""

    period: str
    framework_version: str
    replications: int
    seconds: float


def official_version(con: duckdb.DuckDBPyConnection, period: str) -> str | None:
    """The framework version that scores `period` officially (None when it was not scored)."""
    row = con.execute(
        "select any_value(framework_version) from intermediate.int_unit_scores_ranked where period = ? and is_official",
        [period],
    ).fetchone()
    return row[0] if row else None


def prepare(home: Home, period: str, replications: int, seed: int) -> tuple[Choices, dict, np.ndarray]:
    """Sample the period's choices and write the run parameters into the warehouse."""
    with connect(home.warehouse) as con:
        if not table_exists(con, "intermediate", "int_unit_scores_ranked"):
            raise ValueError("仓库中还没有计分结果，请先运行 wuxing run / nothing scored yet: run `wuxing run` first")
        version = official_version(con, period)
        if version is None:
            raise ValueError(f"期次 {period} 尚未计分 / period {period} has no scores")
        choices = declared_choices(con, home.framework, version)
        problem, design = sample(choices, replications, seed)
        write_replicates(con, period, choices, problem, design, seed)
    return choices, problem, design


def finish(home: Home, period: str, choices: Choices, problem: dict, seed: int, started: float) -> Analysis:
    """Write mart_rank_sensitivity from the replicated ranks dbt built."""
    with connect(home.warehouse) as con:
        shift = rank_shift(con)
        indices = sensitivity(problem, shift, seed).assign(
            period=period,
            framework_version=choices.framework_version,
            replications=len(shift),
            seed=seed,
            mean_rank_shift=float(shift.mean()),
        )
        con.execute("create schema if not exists marts")
        con.register("indices", indices)
        con.execute(
            "create or replace table marts.mart_rank_sensitivity as select "
            "period::varchar as period, framework_version::varchar as framework_version, "
            "choice::varchar as choice, first_order::double as first_order, "
            "first_order_conf::double as first_order_conf, total_order::double as total_order, "
            "total_order_conf::double as total_order_conf, replications::integer as replications, "
            "seed::integer as seed, mean_rank_shift::double as mean_rank_shift from indices"
        )
        con.execute(
            "comment on table marts.mart_rank_sensitivity is '名次敏感性：各不确定选择对名次变动（平均绝对名次变化）"
            "的一阶与总 Sobol 指数（SALib） / Sobol indices of the mean absolute rank shift per uncertain choice'"
        )
    return Analysis(period, choices.framework_version, len(shift), time.monotonic() - started)


def analyse(
    home: Home, period: str, build, replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED
) -> Analysis:
    """One analysis of `period`: sample, `build()` the dbt models tagged uncertainty, Sobol."""
    started = time.monotonic()
    choices, problem, _ = prepare(home, period, replications, seed)
    build()
    return finish(home, period, choices, problem, seed, started)


def dbt_args(home: Home) -> list[str]:
    """The dbt build of the replicated ranks and mart_rank_uncertainty (tag uncertainty)."""
    from orchestration.defs.dbt import dbt_vars

    return [
        "build",
        "--vars",
        json.dumps(dbt_vars(home)),
        "--select",
        "tag:uncertainty",
        "--exclude-resource-type",
        "unit_test",
    ]


def latest_quarter(home: Home) -> str | None:
    """The last quarter with official scores (the demo's example period)."""
    with connect(home.warehouse, read_only=True) as con:
        if not table_exists(con, "intermediate", "int_unit_scores_ranked"):
            return None
        return con.execute(
            "select max(period) from intermediate.int_unit_scores_ranked where is_official and period like '%Q%'"
        ).fetchone()[0]
