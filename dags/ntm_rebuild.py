"""
### NTM rebuild after a late load, and the watcher that notices one

**`ntm_raw_watch`** (every 15 minutes) looks for submissions accepted into `raw` outside a
pipeline run (e.g. a resubmission for an old month loaded with `ntm ingest`) since the last
successful rebuild, and emits the `ntm.raw.*` Assets with the affected months in the event's extra.

**`ntm_rebuild`** is scheduled on those Assets: it closes each affected month the way `ntm_monthly`
does (dbt build into `marts_build`, mart checks against it, publish only if all passed, coverage,
notify), between a setup task that opens its `audit.pipeline_run` and a teardown that finishes it. Events emitted by
`ntm_monthly`'s own load are ignored (that run builds the marts itself). An Asset event created by
hand (UI or `POST /api/v2/assets/events`) with extra `{"months": ["2023-05"]}` triggers it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import AssetAny, CronTriggerTimetable, dag, task
from ntm_common import (
    DEFAULT_ARGS,
    MART_ASSETS,
    MONTHLY_DAG_ID,
    RAW_ASSETS,
    REBUILD_DAG_ID,
    WATCH_DAG_ID,
    close,
    database_url,
    finish,
    late_loaded_months,
    open_run,
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
    def plan(triggering_asset_events: Any = None) -> list[str] | None:
        return months_from_events(triggering_asset_events)

    @task(doc_md="Setup: open the run's `audit.pipeline_run` (reopened by a retry or a clear).")
    def begin(months: list[str], dag_run: Any = None) -> dict[str, Any]:
        return open_run(REBUILD_DAG_ID, months, dag_run)

    @task(doc_md="Close the affected months: dbt build, mart checks against the build, publish only if "
                 "all passed, coverage and a notification per month.", retries=1,
          outlets=list(MART_ASSETS.values()))
    def close_months(run: dict[str, Any]) -> dict[str, Any]:
        return close(run)

    run = begin(plan())
    finish(run, close_months(run)).as_teardown(setups=run)


ntm_raw_watch()
ntm_rebuild()
