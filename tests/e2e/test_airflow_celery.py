"""More than one worker, end to end: `ntm_monthly` on the local Celery setup (Debian's
redis-server, CeleryExecutor, two `airflow celery worker` processes ntm-worker-1 and ntm-worker-2,
started by ingest.devtools.airflow_local) with the inbox and the archive on a local S3-compatible
server (moto in server mode). The cluster policy routes `validate` to worker 1 and `load` to
worker 2 (NTM_TASK_QUEUES), so one submission is validated on one worker and loaded on the other
from the shared archive; the marts equal those of `ntm run` (the in-process path) of the same
files in another database with a local archive.

One Celery Airflow for the module (its own metadata database, warehouse and state folder), stopped
at the end with Redis and the workers. Marked e2e."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest.cli.main import main
from ingest.store.db import migrate_all
from tests.fixtures.airflow import MONTHLY, PROVINCE, LocalAirflow, local_airflow
from tests.fixtures.database import create_database, drop_database, migrated_database
from tests.fixtures.s3 import S3Server, comparable_marts

pytestmark = pytest.mark.e2e

MONTH = date(2023, 5, 1)
ROUTES = {"validate": "ntm_worker_1", "load": "ntm_worker_2"}


@pytest.fixture(scope="module")
def month_inbox(tmp_path_factory) -> Path:
    """Province 27's submissions of May 2023 (its 6 districts with xã) in `<root>/2023-05/`."""
    from ingest.devtools.generate import generate

    root = tmp_path_factory.mktemp("celery_inbox")
    generate(PROVINCE, [MONTH], root, seed=15)
    return root


@pytest.fixture(scope="module")
def celery_warehouse(server_url: str):
    yield from migrated_database(server_url, "ntm_celery")


@pytest.fixture(scope="module")
def shared_storage(moto_server: S3Server, month_inbox: Path) -> dict[str, str]:
    """The inbox (the month's files uploaded) and the archive, as S3 URLs."""
    inbox, archive = moto_server.prefix("inbox"), moto_server.prefix("archive")
    moto_server.upload(month_inbox, inbox)
    return {"inbox": inbox, "archive": archive}


@pytest.fixture(scope="module")
def celery_airflow(tmp_path_factory, celery_warehouse: str, server_url: str, moto_server: S3Server,
                   shared_storage: dict[str, str]):
    state = tmp_path_factory.mktemp("celery_state")
    env = {**moto_server.env, "NTM_ARCHIVE_URL": shared_storage["archive"],
           "NTM_TASK_QUEUES": ",".join(f"{t}={q}" for t, q in ROUTES.items())}
    started = time.monotonic()
    with local_airflow(state, celery_warehouse, shared_storage["inbox"], server_url, executor="celery",
                       workers=2, extra_env=env) as af:
        print(f"\nCelery Airflow (Redis, 2 workers) started in {time.monotonic() - started:.0f} s")
        af.client.wait_for_dag(MONTHLY)
        af.client.unpause(MONTHLY)
        yield af


@pytest.fixture(scope="module")
def monthly_run(celery_airflow: LocalAirflow) -> tuple[str, dict]:
    started = time.monotonic()
    run_id = celery_airflow.client.trigger(MONTHLY, {"month": f"{MONTH:%Y-%m}"})
    run = celery_airflow.client.wait_run(MONTHLY, run_id)
    assert run["state"] == "success", celery_airflow.client.task_states(MONTHLY, run_id)
    print(f"\nntm_monthly on Celery: {time.monotonic() - started:.0f} s")
    [summary] = celery_airflow.client.xcom(MONTHLY, run_id, "close_month")["summaries"]
    return run_id, summary


def test_validate_and_load_of_one_submission_run_on_different_workers(
        celery_airflow: LocalAirflow, monthly_run: tuple[str, dict], celery_warehouse: str) -> None:
    run_id, summary = monthly_run
    assert summary["accepted"] == summary["files"] > 0 and summary["rejected"] == []
    tis = celery_airflow.client.task_instances(MONTHLY, run_id)
    by_task: dict[str, list[dict]] = {}
    for ti in tis:
        by_task.setdefault(ti["task_id"], []).append(ti)
    for task_id, queue in ROUTES.items():
        assert {(t["queue"], t["state"]) for t in by_task[task_id]} == {(queue, "success")}
    assert {t["hostname"] for t in by_task["validate"]} == {"ntm-worker-1"}
    assert {t["hostname"] for t in by_task["load"]} == {"ntm-worker-2"}
    # every task ran on one of the two workers (the others from the shared default queue)
    assert {t["hostname"] for t in tis if t["state"] == "success"} <= {"ntm-worker-1", "ntm-worker-2"}
    # the submissions validated on worker 1 are the ones worker 2 loaded, read from the shared archive
    validated = {v["submission_id"] for t in by_task["validate"] for v in _xcom(celery_airflow, run_id, t)}
    with psycopg.connect(celery_warehouse) as conn:
        loaded = dict(conn.execute("SELECT submission_id, archive_path FROM audit.submission "
                                   "WHERE status = 'accepted'").fetchall())
    assert set(loaded) == validated and len(loaded) == summary["accepted"]
    archive = celery_airflow.env["NTM_ARCHIVE_URL"]
    assert all(path.startswith(f"{archive}/") for path in loaded.values())


def _xcom(af: LocalAirflow, run_id: str, ti: dict) -> list[dict]:
    value = af.client.get(f"/api/v2/dags/{MONTHLY}/dagRuns/{run_id}/taskInstances/{ti['task_id']}"
                          f"/xcomEntries/return_value?map_index={ti['map_index']}")["value"]
    return json.loads(value) if isinstance(value, str) else value


def test_the_marts_equal_those_of_ntm_run_of_the_same_files(
        monthly_run: tuple[str, dict], celery_warehouse: str, server_url: str, month_inbox: Path,
        tmp_path: Path, monkeypatch) -> None:
    other = create_database(server_url, prefix="ntm_celery_ref")
    try:
        migrate_all(other)
        monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("NTM_PROVINCES", PROVINCE)
        for name in ("NTM_ARCHIVE_URL", "NTM_INBOX", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        assert main(["run", "--database-url", other, "--month", f"{MONTH:%Y-%m}", "--inbox", str(month_inbox),
                     "--json"]) == 0
        reference = comparable_marts(other)
        assert reference["mart_progress"][0] > 0
        assert comparable_marts(celery_warehouse) == reference
    finally:
        drop_database(server_url, other)
