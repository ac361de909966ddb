# wuxing: `make demo` runs the whole pipeline on demo data; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
WUXING_HOME ?= var
BIN := $(VENV)/bin
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install system-deps demo run test ui serve docs clean bench

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/wuxing demo --home $(WUXING_HOME)

run: install
	$(BIN)/wuxing run --home $(WUXING_HOME)

ui: install
	$(BIN)/wuxing ui --home $(WUXING_HOME)

serve: install
	$(BIN)/wuxing serve --home $(WUXING_HOME)

docs: install
	$(BIN)/wuxing docs --home $(WUXING_HOME)

# Debian packages for the UI and PostgreSQL tests (needs root; CI runs it from .ci/run)
system-deps:
	bash scripts/ci-system-deps.sh

# Tests run on every core (pytest-xdist); a module sharing a module-scoped fixture stays on one worker.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder

test: install
	$(BIN)/python -m pytest $(XDIST)

# Lint (when the Makefile has a `lint` target) and every test not marked slow.
.PHONY: check
check: install
	@if $(MAKE) -n lint >/dev/null 2>&1; then $(MAKE) --no-print-directory lint; fi
	$(BIN)/python -m pytest -m "not slow" $(XDIST)

clean:
	rm -rf $(WUXING_HOME) dbt_project/target dbt_project/logs test-artifacts

# Scoring benchmark (benchmarks/README.md): BENCH_SCALE units x BENCH_QUARTERS quarters
BENCH_SCALE ?= 2000
BENCH_QUARTERS ?= 2
bench: install
	$(BIN)/python -m benchmarks run --scale $(BENCH_SCALE) --quarters $(BENCH_QUARTERS) --intake

# Lint (check only) and fix: ruff (lint + format) on the Python, sqlfluff on the dbt SQL.
LINT_STAMP := $(VENV)/.lint-installed
$(LINT_STAMP): $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[lint]'
	touch $@

.PHONY: lint fix
lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# sqlfluff on the dbt SQL: not yet clean and not in `make lint` (its automatic fixes broke a
# macro's Jinja on 2026-12-04; issue 17 keeps it open)
.PHONY: lint-sql
lint-sql: $(LINT_STAMP)
	$(BIN)/sqlfluff lint dbt_project

# fix applies every automatic fix; what is left is reported by `make lint`
fix: $(LINT_STAMP)
	$(BIN)/ruff check --fix --exit-zero --quiet .
	$(BIN)/ruff format .
