"""
### NTM corrections: the watcher that picks them up, and the rebuild on request

**`ntm_raw_watch`** (every 15 minutes) closes again the months whose data changed after their
run: a corrected file dropped into `<inbox>/<YYYY-MM>/` after that month's run (new bytes,
written after the run started; the inbox a folder or object storage, as for the monthly run),
and submissions loaded by hand outside any run (`ntm ingest`) since the last rebuild. It receives, validates and loads the corrections, then closes each
affected month the way `ntm_monthly` does (dbt build into `marts_build`, mart checks, publish only
if all passed, coverage, notify), in one run between a setup and a teardown task; when there is
nothing to do it skips (no run record).

**`ntm_rebuild`** closes the months named by a hand-made event of the Asset `ntm.raw.late_loads`
(UI or `POST /api/v2/assets/events` with extra `{"months": ["2023-05"]}`). `ntm_monthly` emits only
the raw table Assets (lineage): a monthly run never triggers a rebuild.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import CronTriggerTimetable, dag, task
from ntm_common import (
    DEFAULT_ARGS,
    LATE_LOADS,
    MART_ASSETS,
    MONTHLY_DAG_ID,
    REBUILD_DAG_ID,
    WATCH_DAG_ID,
    close,
    database_url,
    finish,
    late_loaded_months,
    log_outcomes,
    open_run,
    outcome_summary,
    quiet_libraries,
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
    tags=["ntm", "corrections", "watch"],
    doc_md=__doc__,
)
def ntm_raw_watch() -> None:
    @task.short_circuit(doc_md="Corrections waiting in the inbox of months already closed, and months "
                               "loaded by hand since the last rebuild; skips everything when none.")
    def scan() -> dict[str, Any] | None:
        from ingest.config import load_settings
        from ingest.pipeline.corrections import waiting

        url = database_url()
        found = waiting(load_settings().inbox, url)
        late = late_loaded_months(url)
        for month, paths in found.items():
            print(f"{month}: {len(paths)} correction(s) in the inbox: " + ", ".join(p.rsplit("/", 1)[-1] for p in paths))
        if late:
            print(f"loaded outside a run since the last rebuild: {', '.join(late)}")
        if not found and not late:
            print("nothing new in the inbox of a closed month, nothing loaded by hand")
            return None
        return {"files": [p for paths in found.values() for p in paths], "months": sorted(set(found) | set(late))}

    @task(doc_md="Setup: open the run's `audit.pipeline_run` for the months to close again.")
    def begin(plan: dict[str, Any], dag_run: Any = None) -> dict[str, Any]:
        return open_run(WATCH_DAG_ID, plan["months"], dag_run) | {"files": plan["files"]}

    @task(doc_md="Receive, validate and load the corrections (one line per file and what became of it).")
    def ingest(run: dict[str, Any]) -> dict[str, Any]:
        quiet_libraries()
        from ingest.pipeline import ingest_paths

        outcomes = ingest_paths(run["files"], database_url(), run["run_id"], build_docs=True)
        log_outcomes(outcomes)
        return outcome_summary(outcomes)

    @task(doc_md="Close the months again: dbt build, mart checks against the build, publish only if "
                 "all passed, coverage and a notification per month.", retries=1,
          outlets=list(MART_ASSETS.values()))
    def close_months(run: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
        quiet_libraries()
        return close(run, loaded)

    run = begin(scan())
    finish(run, close_months(run, ingest(run))).as_teardown(setups=run)


@dag(
    dag_id=REBUILD_DAG_ID,
    schedule=[LATE_LOADS],
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ntm", "assets", "dbt", "rebuild"],
    doc_md=__doc__,
)
def ntm_rebuild() -> None:
    @task.short_circuit(doc_md="The months the event names; skips everything when it names none.")
    def plan(triggering_asset_events: Any = None) -> list[str] | None:
        return months_from_events(triggering_asset_events) or None

    @task(doc_md="Setup: open the run's `audit.pipeline_run` (reopened by a retry or a clear).")
    def begin(months: list[str], dag_run: Any = None) -> dict[str, Any]:
        return open_run(REBUILD_DAG_ID, months, dag_run)

    @task(doc_md="Close the affected months: dbt build, mart checks against the build, publish only if "
                 "all passed, coverage and a notification per month.", retries=1,
          outlets=list(MART_ASSETS.values()))
    def close_months(run: dict[str, Any]) -> dict[str, Any]:
        quiet_libraries()
        return close(run)

    run = begin(plan())
    finish(run, close_months(run)).as_teardown(setups=run)


ntm_raw_watch()
ntm_rebuild()
