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

open_run (setup) → discover → receive (mapped over batches of files) → validate (mapped) → load →
close (dbt build into `marts_build`, mart checks against it, publish only if all passed, coverage,
notify) → finish (teardown). A bad file is rejected with findings (recorded in `audit.finding`) and
never stops the others. Every task calls `ingest.pipeline` and is idempotent, keyed by file hash
and month; tasks pass only ids and summaries (validate stages the rows in the database, schema `validated`; the
loader moves them into raw).

The run is recorded in one `audit.pipeline_run` row (retries and clears reuse it), opened by the
setup task and finished by the teardown task whatever happened; a Deadline Alert fires when the
run has not finished 6 hours after it was queued. The dbt build runs inside `close`, or as one task
per model with astronomer-cosmos when `NTM_DBT_MODE=cosmos` (see docs/operations.md).
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
    chain,
    dag,
    task,
)
from ntm_common import (
    DEFAULT_ARGS,
    MART_ASSETS,
    MONTH_PATTERN,
    MONTHLY_DAG_ID,
    RAW_ASSETS,
    batches,
    close,
    cosmos_dbt_group,
    database_url,
    dbt_mode,
    finish,
    log_outcomes,
    month_of_run,
    open_run,
    outcome_summary,
    prepare_build,
    quiet_libraries,
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
    params={"month": Param(None, type=["null", "string"], pattern=MONTH_PATTERN,
                           description="Month to process (YYYY-MM, month 01-12); empty = the run's data interval"),
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
    @task(doc_md="Setup: resolve the month and whether it is a backfill; open the run's `audit.pipeline_run`.")
    def begin(params: dict | None = None, data_interval_start: datetime | None = None,
              dag_run: Any = None) -> dict[str, Any]:
        from ingest.config import load_settings
        from ingest.pipeline import is_backfill_run, month_folder

        month = month_of_run((params or {}).get("month"), data_interval_start)
        backfill = is_backfill_run((params or {}).get("backfill"), getattr(dag_run, "run_type", None))
        print(f"month {month:%Y-%m}" + (" (backfill)" if backfill else ""))
        return open_run(MONTHLY_DAG_ID, [f"{month:%Y-%m}"], dag_run, backfill) | {
            "looked_in": month_folder(load_settings().inbox, month)}

    @task(doc_md="List the month's files in `<inbox>/<YYYY-MM>/` and split them into batches.")
    def discover(run: dict[str, Any]) -> list[list[str]]:
        from ingest.config import load_settings
        from ingest.pipeline import discover, month_of

        paths = discover(load_settings().inbox, month_of(run["months"][0]))
        print(f"{len(paths)} file(s) in {run['looked_in']}" + ("" if paths else ": nothing to receive, "
              "every expected unit will be reported missing"))
        return batches(paths)

    @task(doc_md="Archive a batch of files with their SHA-256 and record them in `audit.submission`.")
    def receive(batch: list[str], run: dict[str, Any]) -> list[int]:
        from ingest.pipeline import receive

        return receive(batch, database_url(), run["run_id"], backfill=run["backfill"])

    @task(doc_md="Read and validate a batch (reader checks, Great Expectations); rejections are recorded.")
    def validate(submission_ids: list[int]) -> list[dict[str, Any]]:
        quiet_libraries()
        from ingest.pipeline import outcomes, validate

        url = database_url()
        verdicts = validate(submission_ids, url)
        validated = {v["submission_id"] for v in verdicts if v["status"] == "validated"}
        print(f"checked {len(submission_ids)} file(s) (reader, then Great Expectations):")
        final = outcomes(url, submission_ids)
        for o in final:   # passed every check, waiting for the load to decide its version
            o.status = "validated" if o.submission_id in validated else o.status
        log_outcomes(final)
        return verdicts

    @task(doc_md="Decide versions and move the validated submissions' rows, staged by `validate`, into "
                 "`raw` (one transaction for the batch).", outlets=list(RAW_ASSETS.values()))
    def load(received: list[list[int]], validated: Any, outlet_events: Any = None) -> dict[str, Any]:
        from ingest.pipeline import load, outcomes

        url, ids = database_url(), [sid for batch in received for sid in batch]
        final = outcomes(url, ids, load(ids, url))
        log_outcomes(final)
        summary = outcome_summary(final)
        for asset in RAW_ASSETS.values():
            outlet_events[asset].extra = {"months": summary["months"], "dag_id": MONTHLY_DAG_ID}
        return summary

    @task(doc_md="Close the month: dbt build, mart checks against the build, publish only if all passed, "
                 "coverage, notify (webhook; e-mail by Airflow's SMTP notifier).", retries=1,
          outlets=list(MART_ASSETS.values()))
    def close_month(run: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
        quiet_libraries()
        return close(run, loaded, built_elsewhere=dbt_mode() == "cosmos")

    @task(doc_md="Skipped by design when a district is missing, rejected or late (the run's `warning` "
                 "outcome, also in the run note and the notification's subject): a clean month succeeds.")
    def all_districts_in(closed: dict[str, Any]) -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        for summary in closed["summaries"]:
            print(f"outcome {summary['month']}: {summary['outcome']}")
        if any(s["outcome"] != "success" for s in closed["summaries"]):
            raise AirflowSkipException("warning: " + "; ".join(
                f"{s['month']}: {s['outcome']}" for s in closed["summaries"]))
        return "success"

    run = begin()
    received = receive.partial(run=run).expand(batch=discover(run))
    loaded = load(received, validate.expand(submission_ids=received))
    closed = close_month(run, loaded)
    all_districts_in(closed)
    if dbt_mode() == "cosmos":
        chain(loaded, prepare_build(), cosmos_dbt_group(), closed)
    finish(run, closed).as_teardown(setups=run)


ntm_monthly()
