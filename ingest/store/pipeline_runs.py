"""`audit.pipeline_run`: one row per pipeline run (an Airflow DAG run, or one `ntm run`)."""

from __future__ import annotations

import json
from datetime import date

import psycopg


def open_pipeline_run(conn: psycopg.Connection, dag_id: str, month: date | None,
                      airflow_run_id: str | None) -> int:
    """Open a run; for an Airflow run, reopen the row of the same DAG run (a retry or a clear of
    it) rather than adding one: one row per Airflow run (unique index of migration 0012)."""
    return conn.execute(
        """INSERT INTO audit.pipeline_run (dag_id, airflow_run_id, logical_month) VALUES (%s, %s, %s)
           ON CONFLICT (dag_id, airflow_run_id) WHERE airflow_run_id IS NOT NULL
           DO UPDATE SET state = 'running', finished_at = NULL,
                         logical_month = coalesce(EXCLUDED.logical_month, audit.pipeline_run.logical_month)
           RETURNING run_id""",
        (dag_id, airflow_run_id, month),
    ).fetchone()[0]


def finish_pipeline_run(conn: psycopg.Connection, run_id: int, state: str, detail: dict | None = None) -> None:
    """Close a run with its state, what it did (`detail`, JSON) and its submissions' counts."""
    conn.execute(
        """UPDATE audit.pipeline_run p SET finished_at = now(), state = %s,
                  detail = coalesce(%s::jsonb, p.detail),
                  submissions_accepted = (SELECT count(*) FROM audit.submission s
                                          WHERE s.pipeline_run_id = p.run_id AND s.status IN ('accepted', 'superseded')),
                  submissions_rejected = (SELECT count(*) FROM audit.submission s
                                          WHERE s.pipeline_run_id = p.run_id AND s.status IN ('rejected', 'stale'))
           WHERE run_id = %s""",
        (state, json.dumps(detail, default=str) if detail else None, run_id),
    )


def pipeline_run(conn: psycopg.Connection, run_id: int) -> tuple[str, dict | None]:
    """(state, detail) of a run."""
    row = conn.execute("SELECT state, detail FROM audit.pipeline_run WHERE run_id = %s", (run_id,)).fetchone()
    if row is None:
        raise KeyError(f"no pipeline run {run_id}")
    return row[0], row[1]


def late_loaded_months(conn: psycopg.Connection, rebuild_dag_id: str) -> list[str]:
    """Months with a submission accepted outside any pipeline run since the last successful
    rebuild started (`YYYY-MM`, sorted)."""
    rows = conn.execute(
        """SELECT DISTINCT to_char(s.period, 'YYYY-MM') FROM audit.submission s
           WHERE s.status = 'accepted' AND s.pipeline_run_id IS NULL AND s.period IS NOT NULL
             AND s.loaded_at > COALESCE((SELECT max(started_at) FROM audit.pipeline_run
                                         WHERE dag_id = %s AND state = 'success'), '-infinity')
           ORDER BY 1""",
        (rebuild_dag_id,),
    ).fetchall()
    return [r[0] for r in rows]
