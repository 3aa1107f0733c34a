"""Recording validation runs: one `audit.validation_run` per run, its findings into `audit.finding`."""

from __future__ import annotations

import psycopg

from ingest.quality.validate import ValidationRun
from ingest.store.statements import insert_findings


def record_runs(conn: psycopg.Connection, runs: list[ValidationRun], submission_id: int | None,
                pipeline_run_id: int | None = None) -> list[int]:
    """Insert one audit.validation_run per run (one pipelined statement for all) and their findings
    (one COPY) into audit.finding."""
    if not runs:
        return []
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO audit.validation_run (submission_id, suite, started_at, finished_at, success,
                   evaluated, failed, gx_result, data_docs_url, period, pipeline_run_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s) RETURNING run_id""",
            [(submission_id, run.suite, run.started_at, run.finished_at, run.success, run.evaluated,
              run.failed, run.gx_json(), run.data_docs_url, run.period, pipeline_run_id) for run in runs],
            returning=True)
        run_ids = []
        while True:
            run_ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        findings = [(run_id, f) for run_id, run in zip(run_ids, runs, strict=True) for f in run.findings]
        if findings:
            insert_findings(conn, submission_id, findings)
    return run_ids
