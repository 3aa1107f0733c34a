"""How the suite is split across pytest-xdist workers (tests/conftest.py): what must run on one
worker does, and a module that would start a shared fixture on a second worker is refused."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[2]


def test_the_e2e_modules_run_on_one_worker_one_after_the_other() -> None:
    """One Airflow serves two modules, the Celery module's own must never run beside it (ports)."""
    scopes = {conftest.scope_of(f"tests/e2e/{m}.py::test_x") for m in (
        "test_airflow_e2e", "test_airflow_ops", "test_airflow_celery", "test_superset", "test_compose")}
    assert len(scopes) == 1


def test_modules_sharing_a_session_fixture_share_a_scope_and_the_others_are_their_own() -> None:
    assert (conftest.scope_of("tests/integration/test_coverage.py::test_a")
            == conftest.scope_of("tests/integration/test_plans_demo.py::test_b[x]"))
    assert (conftest.scope_of("tests/integration/test_warehouse.py::test_a")
            == conftest.scope_of("tests/integration/test_bulletin_scenario.py::test_b"))
    alone = {conftest.scope_of(f"{m}::test_a") for m in (
        "tests/integration/test_archive_s3.py", "tests/integration/test_faults.py", "tests/unit/test_config.py")}
    assert alone == {"tests/integration/test_archive_s3.py", "tests/integration/test_faults.py",
                     "tests/unit/test_config.py"}
    assert conftest.scope_of("tests/integration/test_faults.py::test_a") == conftest.scope_of(
        "tests/integration/test_faults.py::test_b[param]")


def test_every_listed_module_exists() -> None:
    assert [m for m in conftest.SHARED_BY if not (ROOT / m).is_file()] == []


def _item(module: str, fixtures: tuple[str, ...]) -> SimpleNamespace:
    return SimpleNamespace(path=ROOT / module, nodeid=f"{module}::test_x", fixturenames=fixtures,
                           add_marker=lambda mark: None)


def test_a_module_using_a_shared_fixture_without_being_listed_is_refused() -> None:
    with pytest.raises(pytest.UsageError, match="test_new.py::test_x uses the shared fixture demo_run: list "
                                                "tests/integration/test_new.py in SHARED_BY"):
        conftest.pytest_collection_modifyitems(None, [_item("tests/integration/test_new.py", ("demo_run",))])
    with pytest.raises(pytest.UsageError, match="shared fixture warehouse"):   # listed, but for another one
        conftest.pytest_collection_modifyitems(None, [_item("tests/integration/test_coverage.py", ("warehouse",))])
    conftest.pytest_collection_modifyitems(None, [_item("tests/integration/test_coverage.py", ("demo_run", "url")),
                                                  _item("tests/integration/test_new.py", ("url",))])
