"""What the rules of `kieu_mau` read from earlier accepted submissions: the previous month's model
villages and roads of the unit (a cumulative count that falls is a warning)."""

from __future__ import annotations

import pandas as pd
import psycopg

from ingest.store.statements import Keys, accepted_rows, previous_keys


def previous_models(conn: psycopg.Connection, keys: Keys) -> dict[int, pd.DataFrame]:
    """kieu_mau rows (commune_code, model_villages, model_roads) of each unit's accepted submission
    for the previous month (counts are cumulative across years: December before January)."""
    return accepted_rows(conn, "t.commune_code, t.model_villages::float8 AS model_villages, "
                         "t.model_roads::float8 AS model_roads", "raw.kieu_mau", previous_keys(keys))
