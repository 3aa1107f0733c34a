"""
### NTM monthly pipeline

Runs on the 5th of each month (00:00 UTC, 07:00 in Vietnam) for the **previous** month: the
timetable has an explicit monthly data interval `[5th of M, 5th of M+1)`, and the run works on
month M. Trigger a chosen month by hand with conf `{"month": "YYYY-MM"}`; backfill a range with
`airflow backfill create --dag-id ntm_monthly --from-date 2023-01-01 --to-date 2023-03-31`.

History loaded from archives: trigger with conf `{"month": "2019-03", "backfill": true}`, or run an
Airflow backfill (its runs are backfills by their run type): the files are marked `is_backfill` and
coverage judges their timeliness by the date each unit declared in `thong_tin`, not by the day
they arrived.

discover → receive (mapped over batches of files) → validate (mapped) → load → dbt → mart checks →
coverage → notify. A bad file is rejected with findings (recorded in `audit.finding`) and never
stops the others. Every step calls `ingest.pipeline` and is idempotent, keyed by file hash and month.

The run is recorded in `audit.pipeline_run`; a Deadline Alert fires when it has not finished
6 hours after it was queued. The dbt step is one in-process `dbt build` task, or one task per
model with astronomer-cosmos when `NTM_DBT_MODE=cosmos` (see docs/operations.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import (
    AsyncCallback,
    CronDataIntervalTimetable,
    DeadlineAlert,
    DeadlineReference,
    Param,
    TriggerRule,
    chain,
    dag,
    task,
)
from ntm_common import (
    DEFAULT_ARGS,
    MART_ASSETS,
    MONTHLY_DAG_ID,
    RAW_ASSETS,
    batches,
    cosmos_dbt_group,
    database_url,
    dbt_mode,
    month_of_run,
    outcome_summary,
    run_dbt_build,
)

from ingest.config import load_settings

LATE_AFTER = timedelta(hours=load_settings().deadline_hours)


@dag(
    dag_id=MONTHLY_DAG_ID,
    schedule=CronDataIntervalTimetable("0 0 5 * *", timezone="UTC"),
    start_date=datetime(2023, 1, 5, tzinfo=UTC),
    catchup=load_settings().catchup,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ntm", "monthly", "ingest", "dbt"],
    doc_md=__doc__,
    params={"month": Param(None, type=["null", "string"], pattern=r"^\d{4}-\d{2}$",
                           description="Month to process (YYYY-MM); empty = the run's data interval"),
            "backfill": Param(False, type="boolean",
                              description="History loaded from archives: timeliness judged by the date each "
                                          "unit declared (Airflow backfill runs count as backfill anyway)")},
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=LATE_AFTER,
        callback=AsyncCallback("ingest.serve.notify.deadline_missed", kwargs={"dag_id": MONTHLY_DAG_ID}),
        name="monthly_run_late",
    ),
)
def ntm_monthly() -> None:
    @task(doc_md="Resolve the month and whether it is a backfill, and open a row in `audit.pipeline_run`.")
    def begin(params: dict | None = None, data_interval_start: datetime | None = None,
              dag_run: Any = None) -> dict[str, Any]:
        from ingest.pipeline import is_backfill_run, start_run

        month = month_of_run((params or {}).get("month"), data_interval_start)
        backfill = is_backfill_run((params or {}).get("backfill"), getattr(dag_run, "run_type", None))
        run_id = start_run(database_url(), MONTHLY_DAG_ID, month, getattr(dag_run, "run_id", None))
        return {"month": month.isoformat(), "run_id": run_id, "backfill": backfill}

    @task(doc_md="List the month's files in `<inbox>/<YYYY-MM>/` and split them into batches.")
    def discover(run: dict[str, Any]) -> list[list[str]]:
        from datetime import date

        from ingest.config import load_settings
        from ingest.pipeline import discover as discover_files

        paths = discover_files(load_settings().inbox, date.fromisoformat(run["month"]))
        print(f"{len(paths)} file(s) for {run['month']}")
        return batches(paths)

    @task(doc_md="Archive a batch of files with their SHA-256 and record them in `audit.submission`.")
    def receive(batch: list[str], run: dict[str, Any]) -> list[int]:
        from ingest.pipeline import receive as receive_files

        return receive_files(batch, database_url(), run["run_id"], backfill=run.get("backfill", False))

    @task(doc_md="Read and validate a batch (reader checks, Great Expectations); rejections are recorded.")
    def validate(submission_ids: list[int]) -> dict[str, int]:
        from ingest.pipeline import validate as validate_submissions

        verdicts = validate_submissions(submission_ids, database_url())
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v["status"]] = counts.get(v["status"], 0) + 1
        return counts

    @task(doc_md="Decide versions and COPY the validated submissions into `raw` (one transaction each).",
          outlets=list(RAW_ASSETS.values()))
    def load(received: list[list[int]], validated: list[dict[str, int]], run: dict[str, Any],
             outlet_events: Any = None) -> dict[str, Any]:
        from ingest.pipeline import load as load_submissions
        from ingest.pipeline import outcomes

        url = database_url()
        ids = [sid for batch in received for sid in batch]
        summary = outcome_summary(outcomes(url, ids, load_submissions(ids, url)))
        for asset in RAW_ASSETS.values():
            outlet_events[asset].extra = {"months": summary["months"], "dag_id": MONTHLY_DAG_ID}
        return summary

    @task(doc_md="Run `mart_checks` (raw vs marts reconciliation) for the month; results go to audit.")
    def mart_checks(run: dict[str, Any]) -> dict[str, Any]:
        from datetime import date

        import psycopg

        from ingest.store.runs import record_runs
        from ingest.warehouse.reconcile import check_marts

        url = database_url()
        checks = check_marts(url, date.fromisoformat(run["month"]))
        with psycopg.connect(url, autocommit=True) as conn:
            record_runs(conn, [checks], None, run["run_id"])
        failed = [f.message_en for f in checks.findings if f.severity == "error"]
        return {"success": bool(checks.success), "failed": failed[:20]}

    @task(doc_md="Coverage of the month: units on time, late, rejected, missing; version in force, "
                 "declared date, backfill flag.")
    def coverage(run: dict[str, Any]) -> dict[str, Any]:
        from datetime import date

        from ingest.serve.coverage import coverage as coverage_rows
        from ingest.serve.coverage import summarise

        return summarise(coverage_rows(database_url(), date.fromisoformat(run["month"])))

    @task(doc_md="Send the run summary (webhook / e-mail, off by default) and close the pipeline run.")
    def notify(run: dict[str, Any], loaded: dict[str, Any], dbt: dict[str, Any] | None,
               checks: dict[str, Any], cov: dict[str, Any]) -> dict[str, Any]:
        from ingest.config import load_settings
        from ingest.pipeline import finish_run
        from ingest.serve.notify import notify as send

        summary = {
            "run_id": run["run_id"], "month": run["month"][:7], "backfill": run.get("backfill", False), **loaded,
            "dbt_success": True if dbt is None else dbt["success"],
            "mart_checks_success": checks["success"], "mart_check_failures": checks["failed"],
            "coverage": cov,
        }
        summary["notified"] = send(summary, load_settings())
        print(summary["notified"])
        finish_run(database_url(), run["run_id"], "success",
                   {k: v for k, v in summary.items() if k != "coverage"} | {"coverage": {
                       k: v for k, v in cov.items() if not k.endswith("_units")}})
        return summary

    @task(doc_md="When a step failed: close the pipeline run as failed, and fail (so the DAG run fails).",
          trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def mark_failed(run: dict[str, Any]) -> None:
        from ingest.pipeline import finish_run

        finish_run(database_url(), run["run_id"], "failed")
        raise RuntimeError(f"pipeline run {run['run_id']} for {run['month'][:7]} failed: see the failed task")

    run = begin()
    received = receive.partial(run=run).expand(batch=discover(run))
    validated = validate.expand(submission_ids=received)
    loaded = load(received, validated, run)

    if dbt_mode() == "cosmos":
        group = cosmos_dbt_group()

        @task(doc_md="Marts rebuilt by the cosmos task group.", outlets=list(MART_ASSETS.values()))
        def marts_built() -> None:
            return None

        built = marts_built()
        chain(loaded, group, built)
        dbt_summary = None
    else:
        @task(doc_md="`dbt build` of the warehouse (models and tests), in-process.", retries=1,
              outlets=list(MART_ASSETS.values()))
        def dbt_build() -> dict[str, Any]:
            return run_dbt_build()

        built = dbt_build()
        chain(loaded, built)
        dbt_summary = built

    checks = mart_checks(run)
    cov = coverage(run)
    chain(built, checks, cov)
    done = notify(run, loaded, dbt_summary, checks, cov)
    failed = mark_failed(run)
    chain([done], failed)


ntm_monthly()
