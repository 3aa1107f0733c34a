"""End to end through a real Airflow 3 (scheduler, api-server, dag-processor, triggerer on
loopback, LocalExecutor) on a real PostgreSQL: the monthly DAG triggered over the REST API, a run
with a bad submission, a three-month backfill and an identical second backfill.

The session's Airflow (tests/fixtures/airflow.py, ~30 s to start, shared with test_airflow_ops.py);
each run of a province month takes a few tens of seconds. Marked e2e: `make test-fast` leaves it out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.fixtures.airflow import (
    BACKFILL_MONTHS,
    BAD_MONTH,
    CONF_BACKFILL_MONTH,
    MONTHLY,
    PROVINCE,
    SINGLE_MONTH,
    LocalAirflow,
)

pytestmark = pytest.mark.e2e

MARTS = ("mart_progress", "mart_funding", "mart_ocop", "mart_submission_coverage")


def marts_checksums(url: str) -> dict[str, tuple[int, str]]:
    out = {}
    with psycopg.connect(url) as conn:
        for table in MARTS:
            out[table] = conn.execute(sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
            ).format(sql.Identifier("marts", table))).fetchone()
    return out


def run_and_wait(af: LocalAirflow, month: date, **conf: object) -> tuple[str, dict]:
    run_id = af.client.trigger(MONTHLY, {"month": f"{month:%Y-%m}", **conf})
    run = af.client.wait_run(MONTHLY, run_id)
    assert run["state"] == "success", af.client.task_states(MONTHLY, run_id)
    [summary] = af.client.xcom(MONTHLY, run_id, "close_month")["summaries"]
    return run_id, summary


def test_monthly_run_through_the_rest_api(airflow: LocalAirflow, e2e_warehouse: str) -> None:
    run_id, summary = run_and_wait(airflow, SINGLE_MONTH)
    states = airflow.client.task_states(MONTHLY, run_id)
    assert states["close_month"] == "success" and states["finish"] == "success"
    assert summary["rejected"] == [] and summary["accepted"] == summary["files"] > 0
    assert summary["coverage"]["missing_units"] == []
    with psycopg.connect(e2e_warehouse) as conn:
        districts = conn.execute(
            "SELECT count(*) FROM marts.mart_progress WHERE month = %s AND unit_level = 'district'",
            (SINGLE_MONTH,)).fetchone()[0]
        province = conn.execute(
            "SELECT communes_total FROM marts.mart_progress WHERE month = %s AND unit_level = 'province' "
            "AND unit_code = %s", (SINGLE_MONTH, PROVINCE)).fetchone()
        pipeline = conn.execute(
            "SELECT state, airflow_run_id, submissions_accepted FROM audit.pipeline_run "
            "WHERE dag_id = %s AND logical_month = %s", (MONTHLY, SINGLE_MONTH)).fetchall()
    assert districts == summary["accepted"]
    assert province is not None and province[0] > 0
    assert pipeline == [("success", run_id, summary["accepted"])]
    with psycopg.connect(e2e_warehouse) as conn:    # a manual run is not a backfill
        flags = conn.execute("SELECT DISTINCT is_backfill FROM audit.submission WHERE period = %s",
                             (SINGLE_MONTH,)).fetchall()
    assert flags == [(False,)] and summary["backfill"] is False

    airflow.client.clear(MONTHLY, run_id)           # a cleared run reuses its run record
    assert airflow.client.wait_run(MONTHLY, run_id)["state"] == "success"
    with psycopg.connect(e2e_warehouse) as conn:
        again = conn.execute("SELECT state, airflow_run_id FROM audit.pipeline_run WHERE dag_id = %s "
                             "AND logical_month = %s", (MONTHLY, SINGLE_MONTH)).fetchall()
    assert again == [("success", run_id)]


def declared_status(url: str, month: date) -> tuple[dict[str, str], dict[str, str]]:
    """(coverage status, status expected from the declared dates) per unit of a backfilled month:
    on time when thong_tin's submitted_on is by the 5th of the following month."""
    deadline = date(month.year + month.month // 12, month.month % 12 + 1, 5)
    with psycopg.connect(url) as conn:
        declared = dict(conn.execute(
            "SELECT submitting_unit_code, submitted_on FROM audit.submission WHERE period = %s AND status = 'accepted'",
            (month,)).fetchall())
        status = dict(conn.execute(
            "SELECT district_code, status FROM marts.mart_submission_coverage WHERE month = %s AND submitted",
            (month,)).fetchall())
    assert set(status) <= set(declared)
    return status, {u: "late" if declared[u] > deadline else "accepted" for u in status}


def test_a_run_with_conf_backfill_is_judged_by_the_declared_date(airflow: LocalAirflow, e2e_warehouse: str) -> None:
    _, summary = run_and_wait(airflow, CONF_BACKFILL_MONTH, backfill=True)
    cov = summary["coverage"]
    assert summary["backfill"] is True and cov["backfill"] == cov["expected"] - cov.get("missing", 0) > 0
    with psycopg.connect(e2e_warehouse) as conn:
        flags = conn.execute("SELECT DISTINCT is_backfill FROM audit.submission WHERE period = %s",
                             (CONF_BACKFILL_MONTH,)).fetchall()
    assert flags == [(True,)]
    status, by_declared = declared_status(e2e_warehouse, CONF_BACKFILL_MONTH)
    assert status == by_declared          # received in 2026, yet not all late


def test_a_bad_submission_is_reported_and_does_not_stop_the_run(airflow: LocalAirflow, e2e_warehouse: str,
                                                               e2e_inbox) -> None:
    run_id, summary = run_and_wait(airflow, BAD_MONTH)
    assert [r["file_name"] for r in summary["rejected"]] == [e2e_inbox["bad_file"]]
    # a rejected district: the run succeeds with a `warning` outcome, its last task skipped by design
    assert summary["outcome"] == "warning"
    assert airflow.client.task_states(MONTHLY, run_id)["all_districts_in"] == "skipped"
    rejected_unit = summary["rejected"][0]["unit"]
    assert summary["coverage"]["rejected_units"] == [rejected_unit]
    assert summary["accepted"] == summary["files"] - 1 > 0
    with psycopg.connect(e2e_warehouse) as conn:
        status = conn.execute(
            "SELECT status FROM marts.mart_submission_coverage WHERE month = %s AND district_code = %s",
            (BAD_MONTH, rejected_unit)).fetchone()
        finding = conn.execute(
            "SELECT count(*) FROM audit.finding f JOIN audit.submission s USING (submission_id) "
            "WHERE s.file_name = %s AND f.severity = 'error'", (e2e_inbox["bad_file"],)).fetchone()[0]
    assert status == ("rejected",)
    assert finding >= 1


def test_backfill_three_months_then_an_identical_backfill_changes_nothing(airflow: LocalAirflow,
                                                                         e2e_warehouse: str) -> None:
    first = airflow.client.backfill(MONTHLY, "2023-01-01T00:00:00Z", "2023-03-31T00:00:00Z")
    runs = airflow.client.wait_backfill(first["id"])
    assert sorted(r["logical_date"][:10] for r in runs) == ["2023-01-05", "2023-02-05", "2023-03-05"]
    assert {r["state"] for r in runs} == {"success"}
    with psycopg.connect(e2e_warehouse) as conn:
        months = [r[0] for r in conn.execute(
            "SELECT DISTINCT month FROM marts.mart_progress WHERE month < '2023-04-01' ORDER BY 1")]
        kept = conn.execute("SELECT count(*) FROM audit.submission WHERE status <> 'duplicate'").fetchone()[0]
    assert months == BACKFILL_MONTHS
    with psycopg.connect(e2e_warehouse) as conn:    # an Airflow backfill (run_type backfill) is a backfill
        flags = conn.execute("SELECT DISTINCT is_backfill FROM audit.submission WHERE period < '2023-04-01'"
                             ).fetchall()
    assert flags == [(True,)]
    for month in BACKFILL_MONTHS:
        status, by_declared = declared_status(e2e_warehouse, month)
        assert status == by_declared
    before = marts_checksums(e2e_warehouse)

    second = airflow.client.backfill(MONTHLY, "2023-01-01T00:00:00Z", "2023-03-31T00:00:00Z",
                                     reprocess="completed")
    rerun = airflow.client.wait_backfill(second["id"])
    assert len(rerun) == 3 and {r["state"] for r in rerun} == {"success"}
    assert marts_checksums(e2e_warehouse) == before
    with psycopg.connect(e2e_warehouse) as conn:  # the same files again: recognised by hash, nothing reloaded
        assert conn.execute("SELECT count(*) FROM audit.submission WHERE status <> 'duplicate'"
                            ).fetchone()[0] == kept


def test_files_received_stay_in_the_archive(airflow: LocalAirflow, e2e_warehouse: str) -> None:
    with psycopg.connect(e2e_warehouse) as conn:
        paths = [Path(r[0]) for r in conn.execute("SELECT archive_path FROM audit.submission")]
    assert paths and all(p.exists() for p in paths)
