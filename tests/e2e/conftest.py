"""The Airflow of test_airflow_e2e and test_airflow_ops, with its warehouse and inbox.

Package scope (tests/e2e is a package for this): the e2e tests run first, and a session scope
kept Airflow's scheduler, dag-processor, triggerer and api-server running beside the rest of the
suite. The helpers are in tests/fixtures/airflow.py."""

from __future__ import annotations

import shutil

import pytest

from tests.fixtures.airflow import (
    BAD_MONTH,
    INBOX_MONTHS,
    INBOX_SEED,
    MONTHLY,
    PROVINCE,
    WATCH,
    local_airflow,
    with_xa,
)
from tests.fixtures.database import migrated_database


@pytest.fixture(scope="package")
def e2e_warehouse(server_url: str):
    yield from migrated_database(server_url, "ntm_e2e")


@pytest.fixture(scope="package")
def e2e_inbox(tmp_path_factory) -> dict[str, object]:
    """Clean submissions of a province for six months; in BAD_MONTH one district's workbook is
    replaced by a copy with an invalid criterion mark."""
    from ingest.devtools.bad_variants import write_bad_variants
    from ingest.devtools.generate import generate

    root = tmp_path_factory.mktemp("inbox")
    paths = generate(PROVINCE, INBOX_MONTHS, root, seed=INBOX_SEED)
    victim = sorted(with_xa([p for p in paths if p.parent.name == f"{BAD_MONTH:%Y-%m}"], BAD_MONTH))[0]
    bad = write_bad_variants(victim, tmp_path_factory.mktemp("bad"))["bad_mark"]
    shutil.copy(bad, victim.parent / bad.name)
    victim.unlink()
    return {"root": root, "bad_file": bad.name}


@pytest.fixture(scope="package")
def airflow(tmp_path_factory, e2e_warehouse: str, e2e_inbox, server_url: str):
    """The session's Airflow: ntm_monthly and ntm_raw_watch unpaused (manual runs only)."""
    state = tmp_path_factory.mktemp("state")
    with local_airflow(state, e2e_warehouse, e2e_inbox["root"], server_url) as af:
        for dag_id in (MONTHLY, WATCH):
            af.client.wait_for_dag(dag_id)
            af.client.unpause(dag_id)
        yield af
