"""Recording validation runs: one `audit.validation_run` per run, its findings into `audit.finding`."""

from __future__ import annotations

from datetime import datetime

import psycopg

from ingest.findings import Finding
from ingest.quality.validate import ValidationRun
from ingest.store.statements import copy_findings

# One submission's runs: (submission_id or None for a mart check, pipeline_run_id, runs)
SubmissionRuns = tuple[int | None, int | None, list[ValidationRun]]


def reader_run(started_at: datetime, finished_at: datetime, findings: list[Finding], sheets_read: int) -> ValidationRun:
    """The reader's own checks of one file, recorded like a validation run (suite `reader`)."""
    errors = sum(f.severity == "error" for f in findings)
    return ValidationRun("reader", started_at, finished_at, errors == 0, sheets_read, len(findings), None, None,
                         list(findings))


def record_runs(conn: psycopg.Connection, runs: list[ValidationRun], submission_id: int | None,
                pipeline_run_id: int | None = None) -> list[int]:
    """Insert one audit.validation_run per run and their findings; the run ids, in order."""
    return record_batch(conn, [(submission_id, pipeline_run_id, runs)])[0]


def record_batch(conn: psycopg.Connection, batch: list[SubmissionRuns]) -> list[list[int]]:
    """The runs of every submission of a validated batch: one pipelined INSERT for all the runs and
    one COPY of all their findings (a national month is ~7,000 runs: one statement and one COPY
    per submission cost ~1,300 round trips). The run ids of each entry, in order."""
    rows = [(sid, pipeline_run_id, run) for sid, pipeline_run_id, runs in batch for run in runs]
    if not rows:
        return [[] for _ in batch]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO audit.validation_run (submission_id, suite, started_at, finished_at, success,
                   evaluated, failed, gx_result, data_docs_url, period, pipeline_run_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s) RETURNING run_id""",
            [(sid, run.suite, run.started_at, run.finished_at, run.success, run.evaluated,
              run.failed, run.gx_json(), run.data_docs_url, run.period, pipeline_run_id)
             for sid, pipeline_run_id, run in rows],
            returning=True)
        run_ids = []
        while True:
            run_ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        findings = [(run_id, sid, f) for run_id, (sid, _, run) in zip(run_ids, rows, strict=True) for f in run.findings]
        if findings:
            copy_findings(conn, findings)
    out, start = [], 0
    for _, _, runs in batch:
        out.append(run_ids[start:start + len(runs)])
        start += len(runs)
    return out
