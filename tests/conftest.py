"""Test layers and shared fixtures.

tests/unit: no database, no Airflow (pure functions, the reader on files, the generator, the template).
tests/integration: real PostgreSQL, dbt and Great Expectations.
tests/e2e: real Airflow runs and the docker compose configuration (slow).
Each test gets the marker of its folder (`unit`, `integration`, `e2e`), so `pytest -m "not e2e"` works.
The fixtures live in tests/fixtures/ and are registered here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

LAYERS = ("unit", "integration", "e2e")

pytest.register_assert_rewrite("tests.fixtures")

pytest_plugins = [
    "tests.fixtures.admin",
    "tests.fixtures.airflow",
    "tests.fixtures.audit",
    "tests.fixtures.bulletin",
    "tests.fixtures.compose",
    "tests.fixtures.concurrency",
    "tests.fixtures.config",
    "tests.fixtures.corpus",
    "tests.fixtures.coverage",
    "tests.fixtures.dags",
    "tests.fixtures.demo",
    "tests.fixtures.data_docs",
    "tests.fixtures.database",
    "tests.fixtures.faults",
    "tests.fixtures.figures",
    "tests.fixtures.hostile",
    "tests.fixtures.keys",
    "tests.fixtures.mart_checks",
    "tests.fixtures.not_files",
    "tests.fixtures.ocop",
    "tests.fixtures.plans",
    "tests.fixtures.pipeline",
    "tests.fixtures.roles",
    "tests.fixtures.template",
    "tests.fixtures.validation",
    "tests.fixtures.values",
    "tests.fixtures.warehouse_scenario",
    "tests.fixtures.rls",
    "tests.fixtures.s3",
    "tests.fixtures.superset",
]


# Modules that share a session fixture built once (a demo run, the scenario warehouse): under
# pytest-xdist (`make test` runs `-n auto`) they run on the same worker, so it is built once. The
# collection below refuses a module that uses one of these fixtures without being listed.
SHARED_BY = {
    "tests/integration/test_coverage.py": "demo_run",
    "tests/integration/test_plans_demo.py": "demo_run",
    "tests/integration/test_warehouse.py": "warehouse",
    "tests/integration/test_bulletin_scenario.py": "warehouse",
}
E2E = "tests/e2e/"


def scope_of(nodeid: str) -> str:
    """What pytest-xdist hands to one worker as a whole: every e2e test, one after the other (the
    package's Airflow serves two modules; the Celery module's own Airflow must never run beside it,
    on the same ports; Superset with Chromium beside an Airflow slowed both: the suite took 24.4
    min against 22.0-22.2 min with every e2e module in one scope), the modules that share a session
    fixture (SHARED_BY), otherwise one module (its module-scoped fixtures are built once)."""
    module = nodeid.split("::", 1)[0]
    if module.startswith(E2E):
        return E2E
    return SHARED_BY.get(module, module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's scope scheduling, with the scopes of `scope_of`, in collection order: the e2e tests
    (the longest scope) start first, the short unit modules come last and fill the end."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return SharedFixtureScheduling(config, log)


WORKER_STATE = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker gets its own state folder (so its own local PostgreSQL
    cluster, archive, inbox and Data Docs) and its own dbt target and log folders: workers never
    share a cluster's roles, a file or dbt's saved parse."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from ingest.config import load_settings

    state = load_settings().state_dir / "workers" / worker
    config.stash[WORKER_STATE] = state
    os.environ["NTM_STATE_DIR"] = str(state)
    os.environ.setdefault("NTM_DBT_TARGET_DIR", str(state / "dbt_target"))
    os.environ.setdefault("NTM_DBT_LOG_DIR", str(state / "dbt_logs"))


def pytest_unconfigure(config: pytest.Config) -> None:
    """A worker's own cluster is a test cluster: stopped when the worker ends."""
    state = config.stash.get(WORKER_STATE, None)
    if state is not None and not os.environ.get("NTM_DATABASE_URL"):
        from ingest.config import environment, load_settings
        from ingest.store import localdb

        with environment({"NTM_STATE_DIR": str(state)}):
            localdb.stop(load_settings())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with the layer its folder names; refuse a test that uses a shared fixture
    from a module SHARED_BY does not list (it would start the fixture on a second worker)."""
    tests_dir = Path(__file__).resolve().parent
    shared = set(SHARED_BY.values())
    for item in items:
        layer = Path(item.path).resolve().relative_to(tests_dir).parts[0]
        if layer in LAYERS:
            item.add_marker(layer)
        module = Path(item.path).resolve().relative_to(tests_dir.parent).as_posix()
        for name in shared & set(getattr(item, "fixturenames", ())):
            if not module.startswith(E2E) and SHARED_BY.get(module) != name:
                raise pytest.UsageError(f"{item.nodeid} uses the shared fixture {name}: list {module} "
                                        "in SHARED_BY (tests/conftest.py) so that it runs on the same worker")
