"""Dagster names shared by the definitions, the CLI and the instance tools: pools and run tags
(plain strings, so importing them does not load Dagster)."""

WAREHOUSE_POOL = "duckdb_warehouse"  # one writer at a time on the DuckDB warehouse

# Run tags
TRIGGER_TAG = "wuxing/trigger"  # why a run was requested: new_return, period_plan, period_decision
FILES_TAG = "wuxing/files"  # the landed files a new_return run was requested for (JSON, first 20)
AFTER_RUN_TAG = "wuxing/after_run"  # the run whose outcome planned this one
PERIODS_TAG = "wuxing/periods"  # the periods a scoring run covers (JSON)
DECISION_TAG = "wuxing/period_decision"  # finalize or reopen
PID_TAG = "wuxing/pid"  # the process executing the run, to tell a killed run from a live one
HOST_TAG = "wuxing/host"
LAUNCHED_BY_TAG = "wuxing/launched_by"  # "cli" for `wuxing run`: the CLI alerts for its own runs
REPLICATIONS_TAG = "wuxing/uncertainty_replications"  # rank uncertainty: number of replications
SEED_TAG = "wuxing/uncertainty_seed"  # rank uncertainty: the random seed
