"""
### NTM rebuild after a late load, and the watcher that notices one

**`ntm_raw_watch`** (every 15 minutes) looks for submissions accepted into `raw` outside a
pipeline run (e.g. a resubmission for an old month loaded with `ntm ingest`) since the last
successful rebuild, and emits the `ntm.raw.*` Assets with the affected months in the event's extra.

**`ntm_rebuild`** is scheduled on those Assets: it rebuilds the marts (`dbt build`), re-runs the
mart checks and the coverage for each affected month, and notifies. Events emitted by
`ntm_monthly`'s own load are ignored (that run builds the marts itself). An Asset event created by
hand (UI or `POST /api/v2/assets/events`) with extra `{"months": ["2023-05"]}` triggers it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import AssetAny, CronTriggerTimetable, TriggerRule, chain, dag, task
from ntm_common import (
    DEFAULT_ARGS,
    MART_ASSETS,
    MONTHLY_DAG_ID,
    RAW_ASSETS,
    REBUILD_DAG_ID,
    WATCH_DAG_ID,
    database_url,
    late_loaded_months,
    run_dbt_build,
)


def months_from_events(triggering_asset_events: Any) -> list[str] | None:
    """The months named by the triggering events; None when every event came from the monthly DAG."""
    months: set[str] = set()
    outside = False
    for events in (triggering_asset_events or {}).values():
        for event in events:
            extra = getattr(event, "extra", None) or {}
            if extra.get("dag_id") == MONTHLY_DAG_ID:
                continue
            outside = True
            months.update(extra.get("months") or [])
    return sorted(months) if outside else None


@dag(
    dag_id=WATCH_DAG_ID,
    schedule=CronTriggerTimetable("*/15 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS | {"retries": 1},
    tags=["ntm", "assets", "watch"],
    doc_md=__doc__,
)
def ntm_raw_watch() -> None:
    @task(doc_md="Emit the raw Assets when submissions were loaded outside a pipeline run; else skip.",
          outlets=list(RAW_ASSETS.values()))
    def detect(outlet_events: Any = None) -> list[str]:
        from airflow.sdk.exceptions import AirflowSkipException

        months = late_loaded_months(database_url())
        if not months:
            raise AirflowSkipException("no submission loaded outside a pipeline run since the last rebuild")
        for asset in RAW_ASSETS.values():
            outlet_events[asset].extra = {"months": months, "dag_id": WATCH_DAG_ID}
        return months

    detect()


@dag(
    dag_id=REBUILD_DAG_ID,
    schedule=AssetAny(*RAW_ASSETS.values()),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ntm", "assets", "dbt", "rebuild"],
    doc_md=__doc__,
)
def ntm_rebuild() -> None:
    @task.short_circuit(doc_md="The months to rebuild; skips everything when the events came from ntm_monthly.")
    def plan(triggering_asset_events: Any = None, dag_run: Any = None) -> dict[str, Any] | None:
        months = months_from_events(triggering_asset_events)
        if months is None:
            return None
        from ingest.pipeline import start_run

        run_id = start_run(database_url(), REBUILD_DAG_ID, None, getattr(dag_run, "run_id", None))
        return {"months": months, "run_id": run_id}

    @task(doc_md="`dbt build` of the warehouse, in-process.", retries=1, outlets=list(MART_ASSETS.values()))
    def dbt_build() -> dict[str, Any]:
        return run_dbt_build()

    @task(doc_md="Mart checks and coverage for each affected month, then the notification.")
    def check_and_notify(run: dict[str, Any], dbt: dict[str, Any]) -> list[dict[str, Any]]:
        from datetime import date

        import psycopg

        from ingest.config import load_settings
        from ingest.pipeline import finish_run
        from ingest.serve.coverage import coverage, summarise
        from ingest.serve.notify import notify
        from ingest.store.runs import record_runs
        from ingest.warehouse.reconcile import check_marts

        url, settings, summaries = database_url(), load_settings(), []
        for text in run["months"]:
            month = date.fromisoformat(f"{text}-01")
            checks = check_marts(url, month)
            with psycopg.connect(url, autocommit=True) as conn:
                record_runs(conn, [checks], None, run["run_id"])
            summary = {"run_id": run["run_id"], "month": text, "dbt_success": dbt["success"],
                       "mart_checks_success": bool(checks.success), "coverage": summarise(coverage(url, month))}
            summary["notified"] = notify(summary, settings)
            summaries.append(summary)
        finish_run(url, run["run_id"], "success", {"months": run["months"]})
        return summaries

    @task(doc_md="When a step failed: close the pipeline run as failed, and fail.",
          trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def mark_failed(run: dict[str, Any]) -> None:
        from ingest.pipeline import finish_run

        finish_run(database_url(), run["run_id"], "failed")
        raise RuntimeError(f"rebuild run {run['run_id']} failed: see the failed task")

    run = plan()
    built = dbt_build()
    chain(run, built)
    done = check_and_notify(run, built)
    chain(done, mark_failed(run))


ntm_raw_watch()
ntm_rebuild()
