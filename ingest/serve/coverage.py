"""Submission coverage for a month: which units submitted on time, late, were rejected or are
missing, which version is in force, the date each unit declared, and what came by a backfill.

Reads `marts.mart_submission_coverage` (built by dbt from audit.submission and ref.admin_unit)
with the query in `coverage.sql` next to this module.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row


@cache
def _query() -> str:
    return Path(__file__).with_name("coverage.sql").read_text(encoding="utf-8")


def coverage(url: str, month: date) -> list[dict[str, Any]]:
    """The coverage rows of `month` (see coverage.sql), by province and district."""
    with psycopg.connect(url) as conn:
        return conn.cursor(row_factory=dict_row).execute(_query(), {"month": month}).fetchall()


def latest_month(url: str) -> date | None:
    """The latest month the coverage mart holds; None before any submission."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT max(month) FROM marts.mart_submission_coverage").fetchone()[0]


def _unit(r: dict[str, Any]) -> dict[str, Any]:
    """One unit's row, JSON-able (for XCom and the notification)."""
    return {"unit": r["district_code"], "status": r["status"], "version_in_force": r["version_in_force"],
            "latest_version": r["latest_version"],
            "submitted_on": r["submitted_on"].isoformat() if r["submitted_on"] else None,
            "received_at": r["received_at"].isoformat() if r["received_at"] else None,
            "is_backfill": bool(r["is_backfill"])}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status (`accepted` = on time), the units of each problem status, the number of
    units judged by their declared date (backfill), and every unit's row (`coverage_units`)."""
    by_status: dict[str, list[str]] = {}
    for r in rows:
        by_status.setdefault(r["status"], []).append(r["district_code"])
    return {"expected": len(rows), **{k: len(v) for k, v in by_status.items()},
            "backfill": sum(bool(r["is_backfill"]) for r in rows),
            "missing_units": by_status.get("missing", []), "rejected_units": by_status.get("rejected", []),
            "late_units": by_status.get("late", []),
            "coverage_units": [_unit(r) for r in rows]}


def coverage_line(summary: dict[str, Any]) -> str:
    """`6 expected: 3 on time, 1 late, 1 missing, 1 rejected` (+ pending, + backfill when any)."""
    s = summary
    line = (f"{s['expected']} expected: {s.get('accepted', 0)} on time, {s.get('late', 0)} late, "
            f"{s.get('missing', 0)} missing, {s.get('rejected', 0)} rejected")
    if s.get("pending"):
        line += f", {s['pending']} pending"
    if s.get("backfill"):
        line += f"; {s['backfill']} loaded by backfill (judged by the declared date)"
    return line
