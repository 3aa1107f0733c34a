"""Operating the pipeline through the real scheduler (issue 13, items 1, 3 and 4), on the session's
Airflow (tests/fixtures/airflow.py; job scheduling off, so a test triggers the watcher run that its
cron would create every 15 minutes):

- a trigger with month 13 is refused by the param schema (HTTP 400), no run is created;
- a corrected file dropped into a month's inbox folder after the month's run reaches the marts
  through `ntm_raw_watch` alone (received, validated, loaded, months closed: no `ntm ingest`);
- a submission loaded by hand outside any run is closed by the same watcher;
- task logs say which files were validated and what became of each, one line per dbt node with
  its timing, and carry no Great Expectations start-up noise nor leaked-semaphore warnings.
"""

from __future__ import annotations

import urllib.request
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest.config import environment
from tests.fixtures.airflow import (
    CORRECTION_MONTH,
    INBOX_MONTHS,
    INBOX_SEED,
    LATE_MONTH,
    MONTHLY,
    PROVINCE,
    WATCH,
    LocalAirflow,
    task_log,
    with_xa,
)
from tests.fixtures.pipeline import with_version

pytestmark = pytest.mark.e2e


def _runs(af: LocalAirflow, dag_id: str) -> list[dict]:
    return af.client.get(f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]


def _watch(af: LocalAirflow) -> str:
    run_id = af.client.trigger(WATCH)
    run = af.client.wait_run(WATCH, run_id)
    assert run["state"] == "success", af.client.task_states(WATCH, run_id)
    return run_id


def _in_force(url: str, month: date, unit: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT c.latest_version, c.version_in_force, "
            "       (SELECT array_agg(DISTINCT f.submission_id) FROM marts.fct_commune_status f "
            "        WHERE f.month = c.month AND f.district_code = c.district_code) "
            "FROM marts.mart_submission_coverage c WHERE c.month = %s AND c.district_code = %s",
            (month, unit)).fetchone()


def test_month_13_is_refused_when_the_run_is_triggered(airflow: LocalAirflow) -> None:
    before = len(_runs(airflow, MONTHLY))
    with pytest.raises(AssertionError, match="HTTP 400") as refused:
        airflow.client.trigger(MONTHLY, {"month": "2023-13"})
    assert "2023-13" in str(refused.value)
    assert len(_runs(airflow, MONTHLY)) == before


def test_a_correction_dropped_in_the_inbox_reaches_the_marts(airflow: LocalAirflow, e2e_warehouse: str,
                                                             e2e_inbox) -> None:
    run_id = airflow.client.trigger(MONTHLY, {"month": f"{CORRECTION_MONTH:%Y-%m}"})
    assert airflow.client.wait_run(MONTHLY, run_id)["state"] == "success"
    folder = Path(e2e_inbox["root"]) / f"{CORRECTION_MONTH:%Y-%m}"
    first = sorted(with_xa(sorted(folder.glob("*_v1.xlsx")), CORRECTION_MONTH))[0]
    unit = first.name.split("_")[1]
    (v1_latest, v1_in_force, [v1_id]) = _in_force(e2e_warehouse, CORRECTION_MONTH, unit)
    assert (v1_latest, v1_in_force) == (1, 1)

    with_version(first, 2, folder / first.name.replace("_v1", "_v2"))   # the district's correction
    watch_id = _watch(airflow)
    states = airflow.client.task_states(WATCH, watch_id)
    assert {states[t] for t in ("scan", "begin", "ingest", "close_months", "finish")} == {"success"}
    latest, in_force, [v2_id] = _in_force(e2e_warehouse, CORRECTION_MONTH, unit)
    assert (latest, in_force) == (2, 2) and v2_id != v1_id
    with psycopg.connect(e2e_warehouse) as conn:
        status, version, by = conn.execute(
            "SELECT s.status, s.version, r.dag_id FROM audit.submission s "
            "JOIN audit.pipeline_run r ON r.run_id = s.pipeline_run_id WHERE s.submission_id = %s",
            (v2_id,)).fetchone()
        superseded = conn.execute("SELECT status FROM audit.submission WHERE submission_id = %s",
                                  (v1_id,)).fetchone()[0]
    assert (status, version, by, superseded) == ("accepted", 2, WATCH, "superseded")
    closed = airflow.client.xcom(WATCH, watch_id, "close_months")
    assert [s["month"] for s in closed["summaries"]] == [f"{CORRECTION_MONTH:%Y-%m}"] and closed["published"]

    # nothing new: the next watcher run skips, records no run and receives nothing twice
    with psycopg.connect(e2e_warehouse) as conn:
        counts = conn.execute("SELECT (SELECT count(*) FROM audit.submission), "
                              "(SELECT count(*) FROM audit.pipeline_run)").fetchone()
    again = _watch(airflow)
    assert airflow.client.task_states(WATCH, again)["close_months"] == "skipped"
    with psycopg.connect(e2e_warehouse) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM audit.submission), "
                            "(SELECT count(*) FROM audit.pipeline_run)").fetchone() == counts
    # a monthly run emits only the raw table Assets: no ntm_rebuild run was ever created
    assert _runs(airflow, "ntm_rebuild") == []


def test_a_load_by_hand_is_closed_by_the_watcher(airflow: LocalAirflow, e2e_warehouse: str, tmp_path: Path) -> None:
    from ingest.devtools.generate import generate
    from ingest.pipeline import ingest_paths

    # the month after the inbox's last, continuing its history (the same seed and months before):
    # a month generated afresh would contradict July's titles (title_requires_ntm) once the earlier
    # tests have loaded July
    paths = [p for p in generate(PROVINCE, [*INBOX_MONTHS, LATE_MONTH], tmp_path / "elsewhere", seed=INBOX_SEED)
             if p.parent.name == f"{LATE_MONTH:%Y-%m}"]
    with environment(airflow.env):       # as `ntm ingest` does, with the deployment's archive
        assert {o.status for o in ingest_paths([str(p) for p in paths], e2e_warehouse, build_docs=False)} == {
            "accepted"}
        first = with_xa(paths, LATE_MONTH)[0]
        correction = with_version(first, 2, tmp_path / first.name.replace("_v1", "_v2"))
        [late] = ingest_paths([str(correction)], e2e_warehouse, build_docs=False)
    assert late.status == "accepted"
    watch_id = _watch(airflow)
    closed = airflow.client.xcom(WATCH, watch_id, "close_months")
    assert [s["month"] for s in closed["summaries"]] == [f"{LATE_MONTH:%Y-%m}"] and closed["published"]
    assert _in_force(e2e_warehouse, LATE_MONTH, late.submitting_unit_code)[:2] == (2, 2)


def test_task_logs_say_what_happened_and_nothing_else(airflow: LocalAirflow) -> None:
    [run] = [r for r in _runs(airflow, MONTHLY) if r["conf"].get("month") == f"{CORRECTION_MONTH:%Y-%m}"]
    run_id = run["dag_run_id"]
    validate = task_log(airflow, MONTHLY, run_id, "validate", 0)
    close = task_log(airflow, MONTHLY, run_id, "close_month")
    print(f"\nvalidate task log: {len(validate.splitlines())} lines; close_month: {len(close.splitlines())} lines")
    assert "_docs_decorators" not in validate and "Multiple declarations of metric" not in validate
    assert validate.count("VALIDATED ") >= 6 and f"{CORRECTION_MONTH:%Y-%m}_" in validate
    assert "leaked semaphore" not in close and "leaked semaphore" not in validate
    assert "SUCCESS model" in close and " s)" in close
    load = task_log(airflow, MONTHLY, run_id, "load")
    assert load.count("ACCEPTED ") >= 6
    # GX came with the worker (the scheduler imported it before forking the executor's workers)
    assert "Great Expectations: inherited from the worker" in validate


def test_each_run_shows_its_month_and_outcome(airflow: LocalAirflow) -> None:
    [run] = [r for r in _runs(airflow, MONTHLY) if r["conf"].get("month") == f"{CORRECTION_MONTH:%Y-%m}"]
    note = airflow.client.get(f"/api/v2/dags/{MONTHLY}/dagRuns/{urllib.request.quote(run['dag_run_id'], safe='')}")["note"]
    # received in 2026 for 2023-07: every district is late, so the outcome is a warning
    assert note.startswith("2023-07: CẢNH BÁO, CẦN XỬ LÝ / WARNING, ACTION NEEDED: 0/6 chưa nộp / missing")
    assert note.endswith("(outcome: warning)")
