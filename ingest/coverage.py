"""Submission coverage for a month: which districts submitted, were rejected, are missing or late.

Reads `marts.mart_submission_coverage` (built by dbt from audit.submission and ref.admin_unit).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row


def coverage(url: str, month: date) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        cur = conn.cursor(row_factory=dict_row).execute(
            """SELECT province_code, district_code, submitted, latest_version, status, received_at
               FROM marts.mart_submission_coverage WHERE month = %s
               ORDER BY province_code, district_code""",
            (month,),
        )
        return cur.fetchall()


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_status: dict[str, list[str]] = {}
    for r in rows:
        by_status.setdefault(r["status"], []).append(r["district_code"])
    return {"expected": len(rows), **{k: len(v) for k, v in by_status.items()},
            "missing_units": by_status.get("missing", []), "rejected_units": by_status.get("rejected", []),
            "late_units": by_status.get("late", [])}
