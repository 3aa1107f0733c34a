"""Test layers and shared fixtures.

tests/unit: no database, no Airflow (pure functions, the reader on files, the generator, the template).
tests/integration: real PostgreSQL, dbt and Great Expectations.
tests/e2e: real Airflow runs and the docker compose configuration (slow).
Each test gets the marker of its folder (`unit`, `integration`, `e2e`), so `pytest -m "not e2e"` works.
The fixtures live in tests/fixtures/ and are registered here.
"""

from __future__ import annotations

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the layer its folder names."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        layer = Path(item.path).resolve().relative_to(tests_dir).parts[0]
        if layer in LAYERS:
            item.add_marker(layer)
