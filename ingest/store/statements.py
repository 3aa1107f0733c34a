"""The loader's statements on `raw` and `audit.submission` (and the reader's and validators'
findings). Bulk rows go in with COPY; the rest are single-row bookkeeping statements.

The rest of the store: `pipeline_runs` (audit.pipeline_run), `audit_history` (the auditors'
reads), `locks` (every advisory-lock key), `db` (migrations).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ingest.contract import RAW_COLUMNS  # the raw tables and their COPY columns, in load order
from ingest.findings import Finding
from ingest.intake.archive import Archived


def insert_submission(conn: psycopg.Connection, a: Archived, status: str = "received",
                      duplicate_of: int | None = None, pipeline_run_id: int | None = None,
                      period_hint: str | None = None, unit_hint: str | None = None,
                      is_backfill: bool = False, received_at: datetime | None = None) -> int:
    """Record one received file. `received_at` defaults to now() (the database's clock); only the
    demo passes one, to simulate the day a district's file arrived. An empty `archive_path`
    is a path refused on receipt: nothing was archived."""
    row = conn.execute(
        """INSERT INTO audit.submission (file_name, sha256, bytes, file_format, archive_path, status,
                                         duplicate_of, pipeline_run_id, file_period_hint, file_unit_hint,
                                         is_backfill, received_at, status_reason)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s)
           RETURNING submission_id""",
        (a.file_name, a.sha256, a.bytes, a.file_format, a.archive_path,
         status, duplicate_of,
         pipeline_run_id, period_hint, unit_hint, is_backfill, received_at,
         f"same bytes as submission {duplicate_of}" if duplicate_of else None),
    ).fetchone()
    return row[0]


def earlier_with_hash(conn: psycopg.Connection, sha256: str) -> tuple[int, str] | None:
    """The first earlier receipt of the same bytes that was not itself a duplicate."""
    return conn.execute(
        """SELECT submission_id, status FROM audit.submission
           WHERE sha256 = %s AND status <> 'duplicate' ORDER BY submission_id LIMIT 1""",
        (sha256,),
    ).fetchone()


def submission(conn: psycopg.Connection, submission_id: int) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row).execute("SELECT * FROM audit.submission WHERE submission_id = %s", (submission_id,))
    row = cur.fetchone()
    if row is None:
        raise KeyError(f"no submission {submission_id}")
    return row


def set_meta(conn: psycopg.Connection, submission_id: int, meta: dict[str, Any]) -> None:
    conn.execute(
        """UPDATE audit.submission SET submitting_unit_code = %s, province_code = %s, period = %s,
                  version = %s, submitted_on = %s WHERE submission_id = %s""",
        (meta.get("submitting_unit_code"), meta.get("province_code"), meta.get("period"),
         meta.get("version"), _date_or_none(meta.get("submitted_on")), submission_id),
    )


def _date_or_none(value: Any) -> date | None:
    """The declared date as a date (the reader gives a date, a Timestamp or nothing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def set_status(conn: psycopg.Connection, submission_id: int, status: str, reason: str | None = None) -> None:
    conn.execute(
        "UPDATE audit.submission SET status = %s, status_reason = coalesce(%s, status_reason) "
        "WHERE submission_id = %s",
        (status, reason, submission_id),
    )


def mark_validated(conn: psycopg.Connection, submission_id: int) -> None:
    conn.execute("UPDATE audit.submission SET validated_at = now() WHERE submission_id = %s", (submission_id,))


def record_reader_run(conn: psycopg.Connection, submission_id: int, started_at, finished_at,
                      findings: list[Finding], sheets_read: int, pipeline_run_id: int | None) -> int:
    """The reader's own checks, recorded like a validation run (suite `reader`)."""
    errors = sum(f.severity == "error" for f in findings)
    run_id = conn.execute(
        """INSERT INTO audit.validation_run (submission_id, suite, started_at, finished_at, success,
                                             evaluated, failed, gx_result, pipeline_run_id)
           VALUES (%s, 'reader', %s, %s, %s, %s, %s, NULL, %s) RETURNING run_id""",
        (submission_id, started_at, finished_at, errors == 0, sheets_read, len(findings), pipeline_run_id),
    ).fetchone()[0]
    insert_findings(conn, run_id, submission_id, findings)
    return run_id


def insert_findings(conn: psycopg.Connection, run_id: int | None, submission_id: int | None,
                    findings: list[Finding]) -> None:
    if not findings:
        return
    with conn.cursor().copy(
        "COPY audit.finding (run_id, submission_id, severity, check_name, sheet, excel_row, column_name,"
        " value, message_vi, message_en) FROM STDIN"
    ) as copy:
        for f in findings:
            copy.write_row((run_id, submission_id, f.severity, f.check_name, f.sheet, f.excel_row,
                            f.column_name, None if f.value is None else str(f.value)[:2000],
                            f.message_vi, f.message_en))


def findings_of(conn: psycopg.Connection, submission_id: int) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row).execute(
        """SELECT severity, check_name, sheet, excel_row, column_name, value, message_vi, message_en
           FROM audit.finding WHERE submission_id = %s ORDER BY severity, sheet, excel_row, finding_id""",
        (submission_id,),
    )
    return cur.fetchall()


def versions_for_key(conn: psycopg.Connection, unit: str, period: date, exclude: int) -> list[tuple]:
    """(submission_id, version, status) of earlier submissions of the same key that count for versions."""
    return conn.execute(
        """SELECT submission_id, version, status FROM audit.submission
           WHERE submitting_unit_code = %s AND period = %s AND submission_id <> %s
             AND status IN ('accepted', 'superseded', 'rejected') AND version IS NOT NULL
           ORDER BY version""",
        (unit, period, exclude),
    ).fetchall()


def forget_version(conn: psycopg.Connection, submission_id: int) -> None:
    """Clear a refused version (it then no longer counts in `versions_for_key`)."""
    conn.execute("UPDATE audit.submission SET version = NULL WHERE submission_id = %s", (submission_id,))


def accept(conn: psycopg.Connection, submission_id: int, unit: str, period: date) -> int | None:
    """Mark `submission_id` accepted and the previous accepted version of its key superseded."""
    prev = conn.execute(
        """UPDATE audit.submission SET status = 'superseded', superseded_by = %s
           WHERE submitting_unit_code = %s AND period = %s AND status = 'accepted'
           RETURNING submission_id""",
        (submission_id, unit, period),
    ).fetchone()
    conn.execute(
        "UPDATE audit.submission SET status = 'accepted', loaded_at = now() WHERE submission_id = %s",
        (submission_id,),
    )
    return prev[0] if prev else None


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str) if value else None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def copy_frames(conn: psycopg.Connection, submission_id: int, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """COPY every normalised frame into its raw table, tagged with the submission. Returns row counts."""
    counts: dict[str, int] = {}
    for table, columns in RAW_COLUMNS.items():
        frame = frames.get(table)
        if frame is None or frame.empty:
            counts[table] = 0
            continue
        if table == "nguon_von":
            frame = frame[frame["source_code"] != "tong"]
        cols = [c for c in columns if c in frame.columns]
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier("raw", table),
            sql.SQL(", ").join(sql.Identifier(c) for c in ["submission_id", *cols]),
        )
        data = frame[cols].astype(object).itertuples(index=False, name=None)
        with conn.cursor().copy(stmt) as copy:
            for row in data:
                copy.write_row((submission_id, *(_cell(v) for v in row)))
        counts[table] = len(frame)
    return counts


def refresh_statistics(conn: psycopg.Connection) -> None:
    """ANALYZE the raw tables and audit.submission after a load: the warehouse build that follows
    plans its joins from these statistics, and right after a large COPY autovacuum has not run
    yet (a first national build took 95 s in one model instead of 4 s without them)."""
    for table in ("audit.submission", *(f"raw.{t}" for t in RAW_COLUMNS)):
        conn.execute(f"ANALYZE {table}")


def previous_funding(conn: psycopg.Connection, unit: str | None, period: date | None) -> pd.DataFrame | None:
    """The funding rows of the unit's accepted submission for the previous month of the same year."""
    if not unit or not period or period.month == 1:
        return None
    prev = period.replace(month=period.month - 1)
    cur = conn.cursor(row_factory=dict_row).execute(
        """SELECT n.unit_code, n.source_code, n.capital_type, n.amount_mvnd::float8 AS amount_mvnd
           FROM raw.nguon_von n JOIN audit.submission s USING (submission_id)
           WHERE s.status = 'accepted' AND s.submitting_unit_code = %s AND s.period = %s""",
        (unit, prev),
    )
    rows = cur.fetchall()
    if not rows:
        return None
    return pd.DataFrame(rows)


def previous_titles(conn: psycopg.Connection, unit: str | None, period: date | None) -> pd.DataFrame | None:
    """Commune titles of the unit's accepted submission for the previous month."""
    if not unit or not period:
        return None
    prev = date(period.year - 1, 12, 1) if period.month == 1 else period.replace(month=period.month - 1)
    rows = conn.cursor(row_factory=dict_row).execute(
        """SELECT x.commune_code, x.ntm_title
           FROM raw.tieu_chi_xa x JOIN audit.submission s USING (submission_id)
           WHERE s.status = 'accepted' AND s.submitting_unit_code = %s AND s.period = %s""",
        (unit, prev),
    ).fetchall()
    return pd.DataFrame(rows) if rows else None
