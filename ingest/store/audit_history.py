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
        parts.append(sql.SQL("(s.period = %(month)s OR (s.period IS NULL AND "
                             "s.file_period_hint = to_char(%(month)s::date, 'YYYY-MM')))"))  # month from the name
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


_SEVERITY = "(%(severity)s::text IS NULL OR f.severity = %(severity)s::text)"


def failed_checks(conn: psycopg.Connection, ids: list[int], mart_ids: list[int],
                  severity: str | None = None) -> list[dict[str, Any]]:
    """Findings grouped by check and severity (only `severity` when given), errors first."""
    return _rows(conn, f"""
        SELECT f.check_name, f.severity, count(*) AS occurrences, count(DISTINCT f.submission_id) AS submissions,
               array_agg(DISTINCT coalesce(f.sheet, '')) AS sheets, min(f.message_en) AS example_en,
               min(f.message_vi) AS example_vi
        FROM audit.finding AS f WHERE {_FINDINGS_SCOPE} AND {_SEVERITY}
        GROUP BY 1, 2 ORDER BY (f.severity = 'error') DESC, count(*) DESC, 1""",
                 {"ids": ids, "mart_ids": mart_ids, "severity": severity})


def findings(conn: psycopg.Connection, ids: list[int], mart_ids: list[int], severity: str | None = None,
             limit: int | None = MAX_FINDINGS) -> list[dict[str, Any]]:
    """The first `limit` findings (all when None; only `severity` when given), with the suite that
    raised each."""
    return _rows(conn, f"""
        SELECT f.submission_id, f.run_id, coalesce(r.suite, 'reader') AS suite, f.severity, f.check_name,
               f.sheet, f.excel_row, f.column_name, f.value, f.message_vi, f.message_en
        FROM audit.finding AS f LEFT JOIN audit.validation_run AS r USING (run_id)
        WHERE {_FINDINGS_SCOPE} AND {_SEVERITY}
        ORDER BY f.submission_id NULLS LAST, (f.severity = 'error') DESC, f.sheet, f.excel_row, f.finding_id
        LIMIT %(limit)s""", {"ids": ids, "mart_ids": mart_ids, "severity": severity, "limit": limit})


def finding_counts(conn: psycopg.Connection, ids: list[int]) -> list[dict[str, Any]]:
    """(submission_id, severity, n) for each submission."""
    return _rows(conn, """SELECT submission_id, severity, count(*) AS n FROM audit.finding
                          WHERE submission_id = ANY(%(ids)s) GROUP BY 1, 2""", {"ids": ids})


def provinces_arg(provinces: tuple[str, ...] | None) -> list[str]:
    """Settings.provinces as audit.live_coverage takes them: unset is the whole country (marts.md,
    "Who is expected"), as `['all']`; the function's NULL (the provinces that sent) is never used,
    so a province that sent nothing still shows up missing."""
    return list(provinces) if provinces else ["all"]


def live_coverage(conn: psycopg.Connection, month: date, provinces: tuple[str, ...] | None = None,
                  deadline_day: int = 5) -> list[dict[str, Any]]:
    """Who was expected for `month` and what they did, from the live audit tables
    (audit.live_coverage, migration 0018): one row per expected unit, with its name."""
    return _rows(conn, "SELECT * FROM audit.live_coverage(%(m)s, %(p)s, %(d)s)",
                 {"m": month.replace(day=1), "p": provinces_arg(provinces), "d": deadline_day})


def latest_period(conn: psycopg.Connection) -> date | None:
    """The latest month any file declared or named."""
    return conn.execute(
        """SELECT max(coalesce(period, CASE WHEN file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                            THEN to_date(file_period_hint || '-01', 'YYYY-MM-DD') END))
           FROM audit.submission""").fetchone()[0]


def rejected_before_period(conn: psycopg.Connection, month: date | None) -> int:
    """Files rejected before their period could be read, counted for the month their name names
    (all such files when `month` is None)."""
    return conn.execute(
        """SELECT count(*) FROM audit.submission
           WHERE period IS NULL AND status IN ('rejected', 'stale')
             AND (%(m)s::date IS NULL OR file_period_hint = to_char(%(m)s::date, 'YYYY-MM'))""",
        {"m": month.replace(day=1) if month else None}).fetchone()[0]


def run_detail(conn: psycopg.Connection, month: date, provinces: tuple[str, ...] | None = None,
               deadline_day: int = 5) -> dict[str, Any]:
    """What `audit.pipeline_run.detail` keeps about a month's coverage: which units were on time,
    late, missing, rejected or pending (code and name; for the rejected, their files), counted.
    Call it when a monthly run closes and pass it to `finish_pipeline_run(..., detail=...)`
    (merged with what the run already records)."""
    rows = live_coverage(conn, month, provinces, deadline_day)
    files = _rows(conn, """
        SELECT coalesce(submitting_unit_code, file_unit_hint) AS unit, submission_id, file_name, status
        FROM audit.submission
        WHERE coalesce(period, CASE WHEN file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                    THEN to_date(file_period_hint || '-01', 'YYYY-MM-DD') END) = %(m)s
          AND status IN ('rejected', 'stale') ORDER BY submission_id""", {"m": month.replace(day=1)})
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        by_unit.setdefault(f["unit"], []).append({"submission_id": f["submission_id"], "file_name": f["file_name"]})
    lists: dict[str, list[dict[str, Any]]] = {k: [] for k in ("on_time", "late", "missing", "rejected", "pending")}
    key = {"accepted": "on_time"}
    for r in rows:
        unit = {"unit": r["district_code"], "name": r["district_name"], "province": r["province_code"]}
        if r["status"] == "late":
            unit["received_at"] = r["received_at"].isoformat() if r["received_at"] else None
        if r["status"] == "rejected":
            unit["files"] = by_unit.get(r["district_code"], [])
        lists[key.get(r["status"], r["status"])].append(unit)
    return {"coverage": {"month": f"{month:%Y-%m}", "expected": len(rows),
                         **{f"{k}_count": len(v) for k, v in lists.items()}, **lists,
                         "rejected_before_period": rejected_before_period(conn, month)}}
