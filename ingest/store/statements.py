"""The loader's statements on `raw` and `audit.submission` (and the reader's and validators'
findings). Bulk rows go in with COPY; the rest are single-row bookkeeping statements.

The rest of the store: `pipeline_runs` (audit.pipeline_run), `audit_history` (the auditors'
reads), `locks` (every advisory-lock key), `db` (migrations).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ingest.contract import FRAME_COLUMNS, RAW_COLUMNS  # the raw tables, their COPY columns in load order
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
    return submissions(conn, [submission_id])[0]


def submissions(conn: psycopg.Connection, submission_ids: list[int]) -> list[dict[str, Any]]:
    """The audit.submission rows of these ids, in the order given (one statement for a batch)."""
    cur = conn.cursor(row_factory=dict_row).execute(
        "SELECT * FROM audit.submission WHERE submission_id = ANY(%s)", (list(submission_ids),))
    by_id = {row["submission_id"]: row for row in cur.fetchall()}
    missing = [sid for sid in submission_ids if sid not in by_id]
    if missing:
        raise KeyError(f"no submission {', '.join(map(str, missing))}")
    return [by_id[sid] for sid in submission_ids]


def set_metas(conn: psycopg.Connection, metas: list[tuple[int, dict[str, Any]]]) -> None:
    """What each submission's thong_tin declares (unit, province, period, version, date), one
    pipelined statement for a batch."""
    conn.cursor().executemany(
        """UPDATE audit.submission SET submitting_unit_code = %s, province_code = %s, period = %s,
                  version = %s, submitted_on = %s WHERE submission_id = %s""",
        [(meta.get("submitting_unit_code"), meta.get("province_code"), meta.get("period"),
          meta.get("version"), _date_or_none(meta.get("submitted_on")), submission_id)
         for submission_id, meta in metas],
    )


def _date_or_none(value: Any) -> date | None:
    """The declared date as a date (the reader gives a date, a Timestamp or nothing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def set_status(conn: psycopg.Connection, submission_id: int, status: str, reason: str | None = None) -> None:
    set_statuses(conn, [submission_id], status, reason)


def set_statuses(conn: psycopg.Connection, submission_ids: list[int], status: str, reason: str | None = None) -> None:
    if submission_ids:
        conn.execute(
            "UPDATE audit.submission SET status = %s, status_reason = coalesce(%s, status_reason) "
            "WHERE submission_id = ANY(%s)",
            (status, reason, list(submission_ids)),
        )


def mark_validated(conn: psycopg.Connection, submission_ids: list[int]) -> None:
    if submission_ids:
        conn.execute("UPDATE audit.submission SET validated_at = now() WHERE submission_id = ANY(%s)",
                     (submission_ids,))


def insert_findings(conn: psycopg.Connection, submission_id: int | None,
                    findings: Iterable[tuple[int | None, Finding]]) -> None:
    """One COPY of a submission's findings into audit.finding, each with the run that found it
    (None for the loader's own verdicts)."""
    copy_findings(conn, ((run_id, submission_id, f) for run_id, f in findings))


def copy_findings(conn: psycopg.Connection, findings: Iterable[tuple[int | None, int | None, Finding]]) -> None:
    """One COPY of (run_id, submission_id, finding) rows into audit.finding: the one writer of
    findings."""
    with conn.cursor().copy(
        "COPY audit.finding (run_id, submission_id, severity, check_name, sheet, excel_row, column_name,"
        " value, message_vi, message_en) FROM STDIN"
    ) as copy:
        for run_id, submission_id, f in findings:
            copy.write_row((run_id, submission_id, f.severity, f.check_name, f.sheet, f.excel_row,
                            f.column_name, None if f.value is None else str(f.value)[:2000],
                            f.message_vi, f.message_en))


def findings_of(conn: psycopg.Connection, submission_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each submission's findings (severity, sheet, row order), one statement for a batch."""
    cur = conn.cursor(row_factory=dict_row).execute(
        """SELECT submission_id, severity, check_name, sheet, excel_row, column_name, value, message_vi,
                  message_en
           FROM audit.finding WHERE submission_id = ANY(%s)
           ORDER BY submission_id, severity, sheet, excel_row, finding_id""",
        (list(submission_ids),),
    )
    out: dict[int, list[dict[str, Any]]] = {sid: [] for sid in submission_ids}
    for row in cur.fetchall():
        out[row.pop("submission_id")].append(row)
    return out


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


def stage_frames(conn: psycopg.Connection, frames_of: dict[int, dict[str, pd.DataFrame]]) -> None:
    """COPY the normalised frames of validated submissions into `validated`, one COPY per table for
    the whole batch. The rows are written as CSV by pandas (in C), not row by row in Python: a
    national month is ~270,000 rows, which took ~25 s one row and one submission at a time."""
    for table, columns in RAW_COLUMNS.items():
        rows = _rows_of(table, columns, frames_of)
        if rows is None:
            continue
        for column in columns:
            rows[column] = _csv_ready(rows[column], FRAME_COLUMNS[table][column])
        data = rows.to_csv(index=False, header=False, na_rep="", date_format="%Y-%m-%d").encode()
        stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier("validated", table),
            sql.SQL(", ").join(sql.Identifier(c) for c in ["submission_id", *columns]))
        with conn.cursor().copy(stmt) as copy:
            copy.write(data)


def _rows_of(table: str, columns: list[str], frames_of: dict[int, dict[str, pd.DataFrame]]) -> pd.DataFrame | None:
    """The batch's rows of a raw table, tagged with their submission, with every column of the
    table (absent ones null); None when there are none."""
    ids, parts = [], []
    for sid, frames in frames_of.items():
        frame = frames.get(table)
        if frame is not None and table == "nguon_von":
            frame = frame[frame["source_code"] != "tong"]  # totals are checked, not stored
        if frame is not None and not frame.empty:
            ids.append(sid)
            parts.append(frame)
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    rows.insert(0, "submission_id", np.repeat(ids, [len(p) for p in parts]))
    return rows


def _csv_ready(column: pd.Series, dtype: str) -> pd.Series:
    """A column as COPY's CSV reads it, by its dtype in the contract (FRAME_COLUMNS): JSON text for
    "extra" (jsonb; an empty object is null), whole numbers without a fraction for "Int64" (integer
    columns); in CSV an unquoted empty field is null."""
    if dtype == "extra":
        return column.map(lambda v: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict) and v
                          else None, na_action="ignore").astype(object)
    if dtype == "Int64" and column.dtype.kind == "f":
        return column.astype("Int64")  # null cells made the column float; whole numbers stay whole
    return column


def move_staged(conn: psycopg.Connection, submission_ids: list[int]) -> dict[int, dict[str, int]]:
    """Move the validated rows of these submissions into `raw` (one INSERT ... SELECT per table);
    their row counts per table. The caller deletes them from `validated` (`discard_staged`)."""
    counts: dict[int, dict[str, int]] = {sid: dict.fromkeys(RAW_COLUMNS, 0) for sid in submission_ids}
    if not submission_ids:
        return counts
    for table, columns in RAW_COLUMNS.items():
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in ["submission_id", *columns])
        moved = conn.execute(sql.SQL(
            "WITH moved AS (INSERT INTO {raw} ({cols}) SELECT {cols} FROM {staged} "
            "WHERE submission_id = ANY(%s) RETURNING submission_id) "
            "SELECT submission_id, count(*) FROM moved GROUP BY submission_id").format(
                raw=sql.Identifier("raw", table), staged=sql.Identifier("validated", table), cols=cols),
            (submission_ids,)).fetchall()
        for sid, n in moved:
            counts[sid][table] = n
    return counts


def discard_staged(conn: psycopg.Connection, submission_ids: list[int]) -> None:
    """Delete these submissions' rows from `validated` (moved into raw, or refused by the loader)."""
    if submission_ids:
        for table in RAW_COLUMNS:
            conn.execute(sql.SQL("DELETE FROM {} WHERE submission_id = ANY(%s)").format(
                sql.Identifier("validated", table)), (submission_ids,))


def refresh_statistics(conn: psycopg.Connection) -> None:
    """ANALYZE the raw tables and audit.submission after a load: the warehouse build that follows
    plans its joins from these statistics, and right after a large COPY autovacuum has not run
    yet (a first national build took 95 s in one model instead of 4 s without them)."""
    for table in ("audit.submission", *(f"raw.{t}" for t in RAW_COLUMNS)):
        conn.execute(f"ANALYZE {table}")


# A submission's unit and period (from its thong_tin), by submission id: what the rules compare
# with the unit's accepted submission of an earlier month.
Keys = dict[int, tuple[str | None, date | None]]


def accepted_rows(conn: psycopg.Connection, select: str, table: str, wanted: dict[int, tuple[str, date]]) -> dict[int, pd.DataFrame]:
    """For each submission id, the `select`ed columns of `table` (alias t) of the accepted
    submission of the (unit, period) it is mapped to: one statement for a whole batch. Ids with
    no such rows are left out."""
    if not wanted:
        return {}
    ids = list(wanted)
    cur = conn.cursor(row_factory=dict_row).execute(
        sql.SQL("""WITH k (wanted_by, unit, period) AS (
                       SELECT * FROM unnest(%s::bigint[], %s::text[], %s::date[]))
                   SELECT k.wanted_by, {select}
                   FROM k JOIN audit.submission s
                       ON s.submitting_unit_code = k.unit AND s.period = k.period AND s.status = 'accepted'
                   JOIN {table} t ON t.submission_id = s.submission_id""").format(
            select=sql.SQL(select), table=sql.SQL(table)),
        (ids, [wanted[i][0] for i in ids], [wanted[i][1] for i in ids]))
    rows: dict[int, list[dict[str, Any]]] = {}
    for row in cur.fetchall():
        rows.setdefault(row.pop("wanted_by"), []).append(row)
    return {sid: pd.DataFrame(found) for sid, found in rows.items()}


def previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def previous_keys(keys: Keys, *, within_year: bool = False) -> dict[int, tuple[str, date]]:
    """Each submission's unit and the month before its period (those without a unit or a period
    left out; `within_year`: none for January)."""
    return {sid: (unit, previous_month(period)) for sid, (unit, period) in keys.items()
            if unit and period and not (within_year and period.month == 1)}


def previous_funding(conn: psycopg.Connection, keys: Keys) -> dict[int, pd.DataFrame]:
    """The funding rows of each unit's accepted submission for the previous month of the same year
    (none in January: the figures start again from 1 January)."""
    return accepted_rows(conn, "t.unit_code, t.source_code, t.capital_type, t.amount_mvnd::float8 AS amount_mvnd",
                         "raw.nguon_von", previous_keys(keys, within_year=True))


def previous_titles(conn: psycopg.Connection, keys: Keys) -> dict[int, pd.DataFrame]:
    """Commune titles of each unit's accepted submission for the previous month."""
    return accepted_rows(conn, "t.commune_code, t.ntm_title", "raw.tieu_chi_xa", previous_keys(keys))
