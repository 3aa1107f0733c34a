"""Build, check, publish: the warehouse's part of closing a month.

`dbt build` runs into `marts_build` (prepared from `marts` by `meta.prepare_marts_build`, so that
incremental models continue from the published rows); the reconciliation checks then run against
that build copy; only when the build, its tests and every check passed is `marts_build` swapped
for `marts` in one transaction (`meta.publish_marts_build`, migration 0008). A failed build, a
failed check or a killed process leaves BI users' `marts` exactly as they were. Builds are
serialised across processes by the warehouse advisory lock (ingest.store.locks).

Row-level security for province readers (migration 0020) is applied to `marts_build` in the same
transaction as the swap (`meta.secure_marts`), because rebuilt tables carry no policies: the
marts are never visible, even for a moment, without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import psycopg

from ingest.config import environment
from ingest.quality.validate import ValidationRun
from ingest.store.locks import warehouse_lock
from ingest.store.runs import record_runs
from ingest.warehouse.build import BuildResult, Failure, build
from ingest.warehouse.reconcile import check_marts

BUILD_SCHEMA = "marts_build"
Progress = Callable[[str], None]


@dataclass
class Publication:
    """What one build → check → publish did. `success` is True only when `marts` was replaced."""

    success: bool
    dbt_success: bool
    checks_success: bool
    elapsed: float
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    checks: list[ValidationRun] = field(default_factory=list, repr=False)

    @property
    def published(self) -> bool:
        return self.success

    def check_failures(self, limit: int = 20) -> list[str]:
        """The error findings of the checks, in English, for summaries."""
        return [f.message_en for run in self.checks for f in run.findings if f.severity == "error"][:limit]


def prepare_build_schema(url: str) -> int:
    """A fresh `marts_build` holding the published tables; returns how many were copied."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT meta.prepare_marts_build()").fetchone()[0]


def secure_build_schema(conn: psycopg.Connection) -> int:
    """Province readers' row-level security on every table of the build schema with a
    province_code (migration 0020); returns how many tables it secured."""
    return conn.execute("SELECT meta.secure_marts(%s)", (BUILD_SCHEMA,)).fetchone()[0]


def build_checked(url: str, months: Sequence[date] | None = None, *, full_refresh: bool = False,
                  select: list[str] | None = None, pipeline_run_id: int | None = None,
                  progress: Progress | None = None, build_docs: bool = True,
                  unit_tests: bool = False) -> Publication:
    """`dbt build` into the build schema, reconcile `months` (None: every month) against it, and
    publish it when everything passed. The checks are recorded in audit under `pipeline_run_id`.
    dbt's unit tests run only when asked (`ntm transform`): see `build`."""
    with warehouse_lock(url):
        prepare_build_schema(url)
        with environment({"NTM_MARTS_SCHEMA": BUILD_SCHEMA}):
            built = build(url, select=select, full_refresh=full_refresh, progress=progress, unit_tests=unit_tests)
        return _check_and_publish(url, built, months, pipeline_run_id, build_docs)


def check_and_publish(url: str, months: Sequence[date] | None = None, *, pipeline_run_id: int | None = None,
                      build_docs: bool = True) -> Publication:
    """Reconcile and publish a build schema built by someone else (the cosmos task group)."""
    with warehouse_lock(url):
        return _check_and_publish(url, None, months, pipeline_run_id, build_docs)


def _check_and_publish(url: str, built: BuildResult | None, months: Sequence[date] | None,
                       pipeline_run_id: int | None, build_docs: bool) -> Publication:
    dbt_ok = built is None or built.success
    checks: list[ValidationRun] = []
    if dbt_ok:
        checks = [check_marts(url, month, build_docs, schema=BUILD_SCHEMA) for month in (months or [None])]
        with psycopg.connect(url, autocommit=True) as conn:
            record_runs(conn, checks, None, pipeline_run_id)
    checks_ok = dbt_ok and all(run.success for run in checks)
    if checks_ok:
        with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
            secure_build_schema(conn)
            conn.execute("SELECT meta.publish_marts_build()")
    failures = list(built.failures) if built else []
    failures += [Failure(f"mart_checks:{f.check_name}", "fail", f.message_en)
                 for run in checks for f in run.findings if f.severity == "error"][:20]
    return Publication(success=checks_ok, dbt_success=dbt_ok, checks_success=checks_ok,
                       elapsed=built.elapsed if built else 0.0, counts=dict(built.counts) if built else {},
                       failures=failures, checks=checks)
