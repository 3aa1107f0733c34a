"""What the NTM DAGs share: Assets, default arguments, the month of a run, batching, the run
record (opened by a setup task, finished by a teardown task) and closing the month.

Cheap to import (Airflow SDK, ingest.config and ingest.contract only): the DAG processor imports it on
every parse. Everything that touches the warehouse is imported inside task functions.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, task

from ingest.config import load_settings
from ingest.contract import RAW_TABLES  # standard library only: cheap on every parse

SETTINGS = load_settings()  # every NTM_* knob, validated (ingest.config)
PROJECT_ROOT = SETTINGS.home
OWNER = "ntm-data"
MONTHLY_DAG_ID = "ntm_monthly"
REBUILD_DAG_ID = "ntm_rebuild"
WATCH_DAG_ID = "ntm_raw_watch"

MART_TABLES = ("mart_progress", "mart_funding", "mart_ocop", "mart_submission_coverage", "mart_plan")


def _asset(schema: str, table: str) -> Asset:
    return Asset(name=f"ntm.{schema}.{table}", uri=f"ntm://warehouse/{schema}/{table}", group="ntm")


RAW_ASSETS: dict[str, Asset] = {t: _asset("raw", t) for t in RAW_TABLES}
MART_ASSETS: dict[str, Asset] = {t: _asset("marts", t) for t in MART_TABLES}
# Months loaded outside their run, to close again: events made by hand schedule ntm_rebuild
LATE_LOADS = _asset("raw", "late_loads")
# YYYY-MM with a month 01..12 (the param schema refuses `2023-13` when the run is triggered)
MONTH_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"

# The largest number of mapped receive/validate tasks per month, and the smallest batch: a national
# month (~700 files) becomes 8 tasks of ~88 files; a province (~10 files) one task.
MAX_BATCHES = SETTINGS.max_batches
MIN_BATCH = SETTINGS.min_batch

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": SETTINGS.task_retries,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}


def dbt_mode() -> str:
    """`task` (one in-process `dbt build`, the default) or `cosmos` (one Airflow task per model)."""
    return load_settings().dbt_mode


def month_of_run(requested: str | None, data_interval_start: datetime | None) -> date:
    """The month a run works on: the `month` param (`YYYY-MM`) when given, else the month of the
    run's data interval (the monthly timetable's interval starts in the month being reported)."""
    if requested:
        text = requested.strip()
        try:
            year, month = (int(part) for part in text.split("-"))
            return date(year, month, 1)
        except ValueError as exc:
            raise ValueError(f"month param must be YYYY-MM, not {requested!r}") from exc
    if data_interval_start is None:
        raise ValueError('this run has no data interval: trigger it with conf {"month": "YYYY-MM"}')
    return date(data_interval_start.year, data_interval_start.month, 1)


def batches(paths: list[str], max_batches: int = MAX_BATCHES, min_batch: int = MIN_BATCH) -> list[list[str]]:
    """Split the month's files into at most `max_batches` batches of at least `min_batch` files
    (except the last). Always at least one batch, possibly empty, so that downstream tasks run
    (and report every district missing) when nothing arrived."""
    if not paths:
        return [[]]
    count = min(max_batches, max(1, math.ceil(len(paths) / min_batch)))
    size = math.ceil(len(paths) / count)
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def database_url() -> str:
    """The warehouse URL, resolved inside a task (NTM_DATABASE_URL, else the local cluster)."""
    from ingest.config import load_settings
    from ingest.store.localdb import resolve_url

    return resolve_url(load_settings())


def outcome_summary(outcomes: list[Any]) -> dict[str, Any]:
    """A compact, JSON-able summary of load outcomes for XCom and the notification."""
    def short(o: Any) -> dict[str, Any]:
        errors = [f for f in o.findings if f.get("severity") == "error"] or o.findings
        return {"submission_id": o.submission_id, "file_name": o.file_name, "status": o.status,
                "unit": o.submitting_unit_code or getattr(o, "unit_hint", None), "reason": o.reason,
                "findings": [f.get("message_en") for f in errors[:3]]}

    return {
        "files": len(outcomes),
        "accepted": sum(o.status == "accepted" for o in outcomes),
        "duplicates": sum(o.status == "duplicate" for o in outcomes),
        "rejected": [short(o) for o in outcomes if o.status in ("rejected", "stale")],
        "months": sorted({o.period.strftime("%Y-%m") for o in outcomes if o.status == "accepted" and o.period}),
    }


def late_loaded_months(url: str) -> list[str]:
    """Months loaded outside any pipeline run since the last successful close by ntm_rebuild or
    ntm_raw_watch (both close months again; see ingest.pipeline)."""
    from ingest.pipeline import late_loaded_months as months

    return sorted(set(months(url, REBUILD_DAG_ID)) & set(months(url, WATCH_DAG_ID)))


def quiet_libraries() -> None:
    """Keep libraries' start-up chatter out of task logs: Great Expectations logs some 200 info
    lines while it is imported (`_docs_decorators`, metric registrations); warnings still show.
    Says whether the worker had GX imported already (the local Airflow's scheduler preloads it)."""
    import logging
    import sys

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    print("Great Expectations: " + ("inherited from the worker (imported once per worker)"
                                    if "great_expectations" in sys.modules else "imported by this task"))


def log_outcomes(outcomes: list[Any]) -> None:
    """One task-log line per file: what became of it (and why, for a rejection)."""
    from ingest.serve.notify import clean_text

    for o in outcomes:
        unit = o.submitting_unit_code or (f"{o.unit_hint}?" if getattr(o, "unit_hint", None) else "?")
        period = o.period.strftime("%Y-%m") if o.period else "?"
        why = f": {clean_text(o.reason, 200)}" if o.reason and o.status in ("rejected", "stale") else ""
        print(f"{o.status.upper():<10} {clean_text(o.file_name, 120)} (unit {unit}, {period}, v{o.version or '?'}){why}")


def open_run(dag_id: str, months: list[str], dag_run: Any, backfill: bool = False) -> dict[str, Any]:
    """Open (or, for a retried or cleared Airflow run, reopen) the run's `audit.pipeline_run`."""
    from ingest.pipeline import start_run

    month = date.fromisoformat(f"{months[0]}-01") if len(months) == 1 else None
    run_id = start_run(database_url(), dag_id, month, getattr(dag_run, "run_id", None))
    if dag_run is not None:
        print(set_run_note(dag_run, f"{', '.join(months)}: đang chạy / running"))
    return {"run_id": run_id, "months": months, "backfill": backfill}


def close(run: dict[str, Any], loaded: dict[str, Any] | None = None, built_elsewhere: bool = False) -> dict[str, Any]:
    """`ingest.pipeline.close_months` for the run's months (build → checks → publish → coverage →
    notify, e-mail through Airflow's SMTP notifier when NTM_SMTP_TO is set) → {"published",
    "detail" (for the run record), "summaries" (one per month)}. Raises, after notifying and
    recording why, when the marts were not published."""
    from airflow.sdk import get_current_context

    from ingest.config import load_settings
    from ingest.pipeline import close_months, finish_run
    from ingest.serve.notify import mail_sender

    to = load_settings().smtp_to
    senders = [mail_sender(to, get_current_context())] if to else []
    from ingest.serve.notify import headline, run_outcome

    months = [date.fromisoformat(f"{m}-01") for m in run["months"]]
    extra = {"backfill": run.get("backfill", False), **(loaded or {})}
    if run.get("looked_in"):
        extra["looked_in"] = run["looked_in"]
    # progress: one line per dbt node with its timing (the task log)
    closing = close_months(database_url(), run["run_id"], months, extra,
                           built_elsewhere=built_elsewhere, senders=senders, progress=print)
    for summary in closing.summaries:
        summary["outcome"] = run_outcome(summary)
        print(f"{headline(summary)}; published={summary['published']}; notified: {summary['notified']}")
    if not closing.success:
        finish_run(database_url(), run["run_id"], "failed", closing.detail())
        raise RuntimeError("the marts were not published: "
                           + ("; ".join(str(f) for f in closing.publication.failures[:10]) or "see the task log"))
    return {"published": True, "detail": closing.detail(), "summaries": closing.summaries}


API_CONN_ID = "ntm_airflow_api"


def set_run_note(dag_run: Any, note: str) -> str:
    """Write the Airflow run's note (shown in the grid and the run's page) through Airflow's REST
    API, with the connection `ntm_airflow_api` (http: host, port, login, password; `make airflow`
    sets it up). Tasks cannot write the note otherwise; without the connection, or when the API
    refuses, the note is skipped and the task goes on (it only says so in its log)."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from airflow.sdk import Connection

    try:
        conn = Connection.get(API_CONN_ID)
    except Exception as exc:  # noqa: BLE001 - no connection: no note
        return f"run note skipped (no connection {API_CONN_ID}: {type(exc).__name__})"
    base = f"{conn.schema or 'http'}://{conn.host}:{conn.port or 8080}"
    dag_id, run_id = getattr(dag_run, "dag_id", None), getattr(dag_run, "run_id", None)

    def call(method: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=20) as resp:
            return json.loads(resp.read() or b"{}")

    try:
        token = call("POST", "/auth/token", {"username": conn.login, "password": conn.password})["access_token"]
        call("PATCH", f"/api/v2/dags/{urllib.parse.quote(dag_id, safe='')}/dagRuns/"
                      f"{urllib.parse.quote(run_id, safe='')}?update_mask=note", {"note": note[:1000]}, token)
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        return f"run note skipped ({exc})"
    return f"run note: {note.splitlines()[0]}"


@task(doc_md="Teardown: finish the run's `audit.pipeline_run`, `success` when the month was closed "
             "and published, else `failed` (runs whatever happened upstream); the run's note says "
             "the month and its outcome (`success`, `warning`, `failed`).")
def finish(run: dict[str, Any], closed: dict[str, Any] | None, dag_run: Any = None) -> str:
    from ingest.pipeline import finish_run
    from ingest.serve.notify import headline

    state = "success" if closed and closed.get("published") else "failed"
    finish_run(database_url(), run["run_id"], state, (closed or {}).get("detail"))
    summaries = (closed or {}).get("summaries") or []
    note = "\n".join(f"{headline(s)} (outcome: {s.get('outcome')})" for s in summaries) or (
        f"{', '.join(run['months'])}: LỖI / FAILED before the month was closed (see the task logs)")
    print(set_run_note(dag_run, note))
    return state


@task(doc_md="A fresh `marts_build` schema for the cosmos task group to build into.")
def prepare_build() -> int:
    from ingest.warehouse.publish import prepare_build_schema

    return prepare_build_schema(database_url())


def cosmos_dbt_group(group_id: str = "dbt"):
    """The dbt project as an astronomer-cosmos task group (one task per model, seed, snapshot),
    rendered from the manifest (`dbt parse` beforehand), building into `marts_build` (prepared by
    `prepare_build`, published by `close`). The connection comes from DBT_* variables
    in the worker's environment (ingest.devtools.airflow_local and docker-compose set them)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import LoadMode

    from ingest.warehouse.build import (
        dbt_pgoptions,  # the build sessions' work_mem and JIT off, as `ntm transform`
        dbt_vars,  # the configuration's dbt vars (NTM_PROVINCES), as `ntm transform`
    )

    project, settings = PROJECT_ROOT / "dbt_project", load_settings()
    dbt_bin = settings.dbt_executable
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=project, manifest_path=settings.dbt_target_dir / "manifest.json"),
        profile_config=ProfileConfig(profile_name="ntm", target_name="default",
                                     profiles_yml_filepath=project / "profiles.yml"),
        execution_config=ExecutionConfig(dbt_executable_path=str(dbt_bin)),
        # emit_datasets=False: with a Unix-socket host cosmos fails after dbt succeeds (stack-facts.md);
        # the marts Assets are emitted by the task after the group instead.
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, emit_datasets=False),
        # into the build schema: the task after the group reconciles it and publishes it
        operator_args={"install_deps": False, "vars": dbt_vars(), "append_env": True,
                       "env": {"NTM_MARTS_SCHEMA": "marts_build", "PGOPTIONS": dbt_pgoptions(settings)}},
        default_args={"retries": 1},
    )
