"""Reads of the validation history for auditors (`ntm audit`, ingest.serve.audit_report):
submissions, their validation runs, the mart checks, and their findings."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

LATEST_SUBMISSIONS = 50     # without filters: the most recent submissions
MAX_FINDINGS = 500          # findings listed in full (all are counted)
MART_RUNS = 20              # mart check runs listed

_FINDINGS_SCOPE = "(f.submission_id = ANY(%(ids)s) OR f.run_id = ANY(%(mart_ids)s))"


def _rows(conn: psycopg.Connection, query: sql.Composable | str, params: dict) -> list[dict[str, Any]]:
    return conn.cursor(row_factory=dict_row).execute(query, params).fetchall()


def _where(submission_id: int | None, month: date | None, unit: str | None) -> tuple[sql.Composable, dict]:
    parts: list[sql.Composable] = [sql.SQL("true")]
    params: dict[str, Any] = {}
    if submission_id is not None:
        parts.append(sql.SQL("s.submission_id = %(sid)s"))
        params["sid"] = submission_id
    if month is not None:
        parts.append(sql.SQL("s.period = %(month)s"))
        params["month"] = month.replace(day=1)
    if unit:
        parts.append(sql.SQL("(s.submitting_unit_code = %(unit)s OR s.province_code = %(unit)s)"))
        params["unit"] = unit
    return sql.SQL(" AND ").join(parts), params


def submissions(conn: psycopg.Connection, submission_id: int | None, month: date | None,
                unit: str | None) -> list[dict[str, Any]]:
    """The submissions matching every filter given (the latest ones when none is)."""
    where, params = _where(submission_id, month, unit)
    limit = sql.SQL("") if (submission_id or month or unit) else sql.SQL(f"LIMIT {LATEST_SUBMISSIONS}")
    return _rows(conn, sql.SQL(
        """SELECT s.submission_id, s.file_name, s.submitting_unit_code, s.province_code, s.period, s.version,
                  s.status, s.status_reason, s.received_at, s.sha256
           FROM audit.submission AS s WHERE {} ORDER BY s.received_at DESC, s.submission_id DESC {}"""
    ).format(where, limit), params)


def validation_runs(conn: psycopg.Connection, ids: list[int]) -> list[dict[str, Any]]:
    return _rows(conn, """SELECT run_id, submission_id, suite, started_at, finished_at, success, evaluated,
                                 failed, data_docs_url, pipeline_run_id
                          FROM audit.validation_run WHERE submission_id = ANY(%(ids)s)
                          ORDER BY submission_id, run_id""", {"ids": ids})


def mart_runs(conn: psycopg.Connection, month: date | None) -> list[dict[str, Any]]:
    """The latest mart check runs (of `month` when given)."""
    return _rows(conn, f"""SELECT run_id, suite, period, started_at, finished_at, success, evaluated, failed,
                                  data_docs_url, pipeline_run_id
                           FROM audit.validation_run
                           WHERE submission_id IS NULL AND (%(month)s::date IS NULL OR period = %(month)s::date)
                           ORDER BY run_id DESC LIMIT {MART_RUNS}""",
                 {"month": month.replace(day=1) if month else None})


def failed_checks(conn: psycopg.Connection, ids: list[int], mart_ids: list[int]) -> list[dict[str, Any]]:
    """Findings grouped by check and severity, errors first."""
    return _rows(conn, f"""
        SELECT f.check_name, f.severity, count(*) AS occurrences, count(DISTINCT f.submission_id) AS submissions,
               array_agg(DISTINCT coalesce(f.sheet, '')) AS sheets, min(f.message_en) AS example_en,
               min(f.message_vi) AS example_vi
        FROM audit.finding AS f WHERE {_FINDINGS_SCOPE}
        GROUP BY 1, 2 ORDER BY (f.severity = 'error') DESC, count(*) DESC, 1""",
                 {"ids": ids, "mart_ids": mart_ids})


def findings(conn: psycopg.Connection, ids: list[int], mart_ids: list[int]) -> list[dict[str, Any]]:
    """The first MAX_FINDINGS findings, with the suite that raised each."""
    return _rows(conn, f"""
        SELECT f.submission_id, f.run_id, coalesce(r.suite, 'reader') AS suite, f.severity, f.check_name,
               f.sheet, f.excel_row, f.column_name, f.value, f.message_vi, f.message_en
        FROM audit.finding AS f LEFT JOIN audit.validation_run AS r USING (run_id)
        WHERE {_FINDINGS_SCOPE}
        ORDER BY f.submission_id NULLS LAST, (f.severity = 'error') DESC, f.sheet, f.excel_row, f.finding_id
        LIMIT {MAX_FINDINGS}""", {"ids": ids, "mart_ids": mart_ids})


def finding_counts(conn: psycopg.Connection, ids: list[int]) -> list[dict[str, Any]]:
    """(submission_id, severity, n) for each submission."""
    return _rows(conn, """SELECT submission_id, severity, count(*) AS n FROM audit.finding
                          WHERE submission_id = ANY(%(ids)s) GROUP BY 1, 2""", {"ids": ids})
