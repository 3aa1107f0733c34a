"""Closing a month: build the warehouse, reconcile, publish, coverage, notify — the one path
after the load, used by `ntm run`, `ntm_monthly` and `ntm_rebuild` — and the run record around it.

The run record (`audit.pipeline_run`) is opened before anything else and finished last, whatever
happened: `run_month` does both itself; the DAGs do them as setup and teardown tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg

from ingest.config import load_settings
from ingest.pipeline.files import Progress, ReceivedAt, discover, month_folder
from ingest.pipeline.submissions import Outcome, ingest_paths
from ingest.store import locks
from ingest.store import pipeline_runs as runs
from ingest.warehouse.publish import Publication, build_checked, check_and_publish

# Sends one month's summary somewhere (a webhook, Airflow's SMTP notifier) → what it did.
Sender = Callable[[dict[str, Any]], str]


def start_run(url: str, dag_id: str, month: date | None, airflow_run_id: str | None = None) -> int:
    """Open the run record; an Airflow run's retries and clears reopen the same row."""
    with psycopg.connect(url, autocommit=True) as conn:
        return runs.open_pipeline_run(conn, dag_id, month, airflow_run_id)


def finish_run(url: str, run_id: int, state: str, detail: dict | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        runs.finish_pipeline_run(conn, run_id, state, detail)


def late_loaded_months(url: str, rebuild_dag_id: str) -> list[str]:
    """Months with a submission accepted outside any pipeline run (`ntm ingest`, a resubmission)
    since the last successful rebuild started: their marts are stale until the next build."""
    with psycopg.connect(url) as conn:
        return runs.late_loaded_months(conn, rebuild_dag_id)


def transform(url: str, full_refresh: bool = False, select: list[str] | None = None,
              progress: Progress | None = None, months: Sequence[date] | None = None,
              pipeline_run_id: int | None = None, build_docs: bool = False,
              unit_tests: bool = False) -> Publication:
    """`dbt build` into the build schema, the reconciliation of `months` (None: every month)
    against it, and the publication of the marts only when all of it passed. dbt's unit tests
    only with `unit_tests` (`ntm transform`; a monthly run's build leaves them out)."""
    return build_checked(url, months, full_refresh=full_refresh, select=select,
                         pipeline_run_id=pipeline_run_id, progress=progress, build_docs=build_docs,
                         unit_tests=unit_tests)


@dataclass
class Closing:
    """What closing one or more months did: the publication and one summary per month."""

    publication: Publication
    summaries: list[dict[str, Any]] = field(default_factory=list)
    coverage_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # per month: which units were on time, late, missing, rejected (audit_history.run_detail)
    unit_lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit_site: str | None = None

    @property
    def success(self) -> bool:
        return self.publication.success

    def detail(self) -> dict[str, Any]:
        """What the run record keeps (`audit.pipeline_run.detail`): per month the summary, and
        its coverage with the units on time, late (when received), missing and rejected (with
        their files), by code and name."""
        return {"published": self.success, "dbt_success": self.publication.dbt_success,
                "mart_checks_success": self.publication.checks_success,
                **({"audit_site": self.audit_site} if self.audit_site else {}),
                "months": [{k: v for k, v in s.items() if k != "coverage"}
                           | {"coverage": self.unit_lists.get(s["month"], {}).get("coverage")
                              or {k: v for k, v in s["coverage"].items() if not k.endswith("_units")}}
                           for s in self.summaries]}


def close_months(url: str, run_id: int, months: Sequence[date], loaded: dict[str, Any] | None = None, *,
                 built_elsewhere: bool = False, senders: Sequence[Sender] = (),
                 progress: Progress | None = None, build_docs: bool = True) -> Closing:
    """dbt build → reconciliation of `months` against the build → publish (only if all passed) →
    coverage of each month → one notification per month (the webhook, plus `senders`).
    `built_elsewhere`: the build schema was built by the caller (the cosmos task group). Never
    raises for a failed build, check or delivery: the result says so (and the notification)."""
    from ingest.serve.coverage import coverage, summarise
    from ingest.serve.notify import notify

    if built_elsewhere:
        published = check_and_publish(url, months, pipeline_run_id=run_id, build_docs=build_docs)
    else:
        published = transform(url, progress=progress, months=months, pipeline_run_id=run_id,
                              build_docs=build_docs)
    closing = Closing(published)
    settings = load_settings()
    for month in months:
        rows = coverage(url, month)
        summary = {"run_id": run_id, "month": month.strftime("%Y-%m"), **(loaded or {}),
                   "published": published.success, "dbt_success": published.dbt_success,
                   "mart_checks_success": published.checks_success,
                   "mart_check_failures": published.check_failures(), "coverage": summarise(rows)}
        if build_docs:
            summary["district_notices"] = _feedback(url, month, settings, progress)
        summary["notified"] = "; ".join(_send(channel, summary) for channel in
                                        [lambda s: notify(s, settings), *senders])
        closing.summaries.append(summary)
        closing.coverage_rows[summary["month"]] = rows
        closing.unit_lists[summary["month"]] = _unit_lists(url, month, settings)
    if build_docs:
        closing.audit_site = _audit_site(url, settings, progress)
    return closing


def _unit_lists(url: str, month: date, settings: Any) -> dict[str, Any]:
    from ingest.store.audit_history import run_detail

    with psycopg.connect(url) as conn:
        return run_detail(conn, month, settings.provinces)


def _feedback(url: str, month: date, settings: Any, progress: Progress | None) -> list[dict[str, Any]]:
    """The month's feedback workbooks into the outbox, and an e-mail to each district concerned
    (NTM_CONTACTS); what became of each. A failure here is reported, never raised: the marts are
    published by then."""
    from ingest.serve.district_notice import ContactsError, notify_districts
    from ingest.serve.feedback import write_outbox

    say = progress or (lambda _msg: None)
    try:
        written = write_outbox(url, month, settings)
        say(f"{len(written)} feedback workbook(s) in {settings.outbox_dir}")
        notices = notify_districts(url, written, settings)
    except (ContactsError, OSError, psycopg.Error) as exc:
        say(f"district feedback FAILED: {exc}")
        return [{"error": str(exc)}]
    for n in notices:
        say(f"feedback #{n['submission_id']} → unit {n['unit']}: {n.get('sent') or n.get('error')}")
    return notices


def _audit_site(url: str, settings: Any, progress: Progress | None) -> str | None:
    """Rewrite the audit site (month → province → district → submission) after the run."""
    from ingest.serve.audit_site import build_site

    say = progress or (lambda _msg: None)
    try:
        index = build_site(url, settings)
    except (OSError, psycopg.Error) as exc:
        say(f"audit site FAILED: {exc}")
        return None
    say(f"audit site: {index.as_uri() if index.is_absolute() else index}")
    return str(index)


def _send(channel: Sender, summary: dict[str, Any]) -> str:
    """One channel's delivery; a failed delivery is reported in the summary, not raised: the
    marts are published by then, and a retry must not build them again for a notification."""
    from ingest.serve.notify import NotifyError

    try:
        return channel(summary)
    except NotifyError as exc:
        return f"FAILED: {exc}"


def outcome_counts(results: list[Outcome]) -> dict[str, Any]:
    """The load's part of a month's summary."""
    return {"files": len(results), "accepted": sum(o.status == "accepted" for o in results),
            "rejected": [o.as_dict() for o in results if o.status in ("rejected", "stale")],
            "duplicates": sum(o.status == "duplicate" for o in results)}


def run_month(month: date, inbox: str | None, url: str, dag_id: str = "cli",
              progress: Progress | None = None, build_docs: bool = True, *, backfill: bool = False,
              received_at: ReceivedAt = None) -> dict[str, Any]:
    """The whole monthly pipeline for one month, as the Airflow DAG runs it. Two runs for the same
    month are serialised by an advisory lock; different months may run side by side (their
    warehouse builds are serialised). `backfill`: the month is history loaded from archives (its
    files are judged on time by the date the units declared); `received_at`: the demo's
    simulated receipt."""
    settings = load_settings()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    with locks.month_lock(url, month):
        run_id = start_run(url, dag_id, month)
        state, detail = "failed", None
        try:
            looked_in = month_folder(inbox or settings.inbox, month)
            paths = discover(inbox or settings.inbox, month)
            say(f"{len(paths)} file(s) in {looked_in}")
            results = ingest_paths(paths, url, run_id, settings, build_docs=build_docs, progress=progress,
                                   backfill=backfill, received_at=received_at)
            say("dbt build …")
            closing = close_months(url, run_id, [month], {"backfill": backfill, "looked_in": looked_in,
                                                          **outcome_counts(results)},
                                   progress=progress, build_docs=build_docs)
            summary = closing.summaries[0] | {"coverage": closing.coverage_rows[month.strftime("%Y-%m")],
                                              "seconds": round(time.perf_counter() - t0, 1)}
            state, detail = ("success" if closing.success else "failed"), closing.detail()
            return summary
        finally:
            finish_run(url, run_id, state, detail)
