"""What the rules of `kieu_mau` read from earlier accepted submissions: the previous month's model
villages and roads of the unit (a cumulative count that falls is a warning)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg
from psycopg.rows import dict_row


def previous_models(conn: psycopg.Connection, unit: str | None, period: date | None) -> pd.DataFrame | None:
    """kieu_mau rows (commune_code, model_villages, model_roads) of the unit's accepted submission
    for the previous month (counts are cumulative across years: December before January)."""
    if not unit or not period:
        return None
    prev = date(period.year - 1, 12, 1) if period.month == 1 else period.replace(month=period.month - 1)
    rows = conn.cursor(row_factory=dict_row).execute(
        """SELECT k.commune_code, k.model_villages::float8 AS model_villages, k.model_roads::float8 AS model_roads
           FROM raw.kieu_mau k JOIN audit.submission s USING (submission_id)
           WHERE s.status = 'accepted' AND s.submitting_unit_code = %s AND s.period = %s""",
        (unit, prev),
    ).fetchall()
    return pd.DataFrame(rows) if rows else None
