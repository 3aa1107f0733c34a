# The two commands: `make demo` (set up, run the pipeline end to end on sample data) and
# `make test` (the whole test suite). Both work on a fresh clone and are safe to re-run.
.PHONY: setup demo test test-fast test-unit bench bench-airflow bench-warehouse airflow airflow-celery airflow-stop bi bi-stop docs lint db-stop clean

NTM := .venv/bin/ntm
PYTEST := .venv/bin/pytest
# The suite runs on every core (pytest-xdist): the e2e tests share one worker and their services
# (tests/conftest.py schedules them); each worker has its own local cluster. TEST_WORKERS=0 runs
# it in one process.
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS)

setup:
	@scripts/setup.sh

demo: setup
	$(NTM) demo

test: setup
	$(PYTEST) -q $(PARALLEL)

test-fast: setup
	$(PYTEST) -q $(PARALLEL) -m "not e2e"

test-unit: setup
	$(PYTEST) -q tests/unit

bench: setup
	.venv/bin/python -m benchmarks.parse_times
	.venv/bin/python -m benchmarks.validation_overhead
	.venv/bin/python -m benchmarks.ingest_national
	.venv/bin/python -m benchmarks.warehouse_incremental

bench-airflow: setup
	.venv/bin/python -m benchmarks.airflow_national
	.venv/bin/python -m benchmarks.airflow_national --executor celery

bench-warehouse: setup
	.venv/bin/python -m benchmarks.warehouse_national

airflow: setup
	.venv/bin/python -m ingest.devtools.airflow_local start

# the same with CeleryExecutor: a private redis-server and two Celery workers (ntm-worker-1/2)
airflow-celery: setup
	.venv/bin/python -m ingest.devtools.airflow_local start --executor celery --workers 2

airflow-stop:
	.venv/bin/python -m ingest.devtools.airflow_local stop

# Apache Superset on the marts, from its own locked environment bi/.venv (never the main .venv)
bi: setup
	cd bi && UV_COMPILE_BYTECODE=1 uv sync --frozen --quiet
	.venv/bin/python -m ingest.devtools.superset_local start

bi-stop:
	.venv/bin/python -m ingest.devtools.superset_local stop

# dbt's static single-page docs (manifest and catalog embedded): open the printed file:// address.
docs: setup
	.venv/bin/python -m ingest.warehouse.docs_site

lint: setup
	.venv/bin/ruff check ingest dags tests benchmarks
	.venv/bin/lint-imports

db-stop:
	$(NTM) db stop
	@# the test workers' own clusters (each stops itself when its session ends; not a killed one)
	@for d in .ntm/workers/*/; do [ -d "$$d/pg" ] && NTM_STATE_DIR="$$d" $(NTM) db stop || true; done

clean: db-stop
	rm -rf .ntm dbt_project/target dbt_project/logs
