"""Rank uncertainty: a period's replications scored by dbt, on demand (`wuxing uncertainty PERIOD`,
or the UI) and when the period's scores change; the nightly run of an unchanged period never runs it."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration import uncertainty
from orchestration.defs.constants import REPLICATIONS_TAG, SEED_TAG, WAREHOUSE_POOL
from orchestration.defs.dbt import dbt_period_models, dbt_target
from orchestration.defs.periods import period_partitions
from orchestration.defs.publish import published_marts
from orchestration.defs.resources import WuxingHome

SCORES = [key for key in dbt_period_models.keys if key.path[-1] == "int_unit_scores_ranked"]


@dg.asset(
    group_name="uncertainty",
    deps=SCORES,
    partitions_def=period_partitions,
    pool=WAREHOUSE_POOL,
    kinds={"dbt", "python"},
    automation_condition=dg.AutomationCondition.any_deps_updated()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress(),
    description="名次不确定性与敏感性：按声明的可选方案（权重区间、缺报处理）重复计分（默认500次，固定随机种子），"
    "写入 mart_rank_uncertainty 与 mart_rank_sensitivity / Rank uncertainty and "
    "sensitivity of one period: replications of the production scoring under the "
    "declared uncertain choices (default 500, seeded).",
)
def rank_uncertainty(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, wuxing: WuxingHome
) -> dg.MaterializeResult:
    home = wuxing.home
    replications = int(context.run.tags.get(REPLICATIONS_TAG, uncertainty.DEFAULT_REPLICATIONS))
    seed = int(context.run.tags.get(SEED_TAG, uncertainty.DEFAULT_SEED))

    def build() -> None:
        dbt.cli(uncertainty.dbt_args(home), target_path=dbt_target(home, "uncertainty")).wait()

    analysis = uncertainty.analyse(home, context.partition_key, build, replications, seed)
    context.log.info("%s: %d replications in %.1f s", analysis.period, analysis.replications, analysis.seconds)
    return dg.MaterializeResult(
        metadata={
            "framework_version": analysis.framework_version,
            "replications": analysis.replications,
            "seed": seed,
            "seconds": round(analysis.seconds, 2),
        }
    )


uncertainty_job = dg.define_asset_job(
    "rank_uncertainty_job",
    selection=dg.AssetSelection.assets(rank_uncertainty, published_marts),
    description="计算一个期次的名次不确定性并发布 / Rank uncertainty of one period, then publish.",
)
