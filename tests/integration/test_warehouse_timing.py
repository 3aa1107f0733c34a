"""One new month on top of two years of a province's history: the incremental build writes only
the new month, a full refresh rebuilds every row (the timings: benchmarks/warehouse_incremental.py)."""

from __future__ import annotations

import random
from datetime import date

import psycopg

from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build
from tests.fixtures.warehouse import commune_codes, district_codes, months, province_history, synthetic_month

PROVINCE = "38"   # Thanh Hóa: 26 districts, 453 xã (547 commune-level units with its wards and townships)


def _last_writes(url: str) -> dict[str, int]:
    """The newest transaction that wrote each fact table."""
    with psycopg.connect(url) as conn:
        return {fact: conn.execute(f"SELECT max(xmin::text::bigint) FROM marts.{fact}").fetchone()[0]
                for fact in ("fct_commune_criteria", "fct_commune_status", "fct_funding", "fct_ocop_product")}


def _fact_rows_by_xmin(url: str) -> dict[str, int]:
    """Rows of each fact table written by the latest transaction that wrote it, per month."""
    out = {}
    with psycopg.connect(url) as conn:
        for fact in ("fct_commune_criteria", "fct_commune_status", "fct_funding", "fct_ocop_product"):
            out[fact] = conn.execute(f"SELECT count(DISTINCT month) FROM marts.{fact} "
                                     f"WHERE xmin::text::bigint = (SELECT max(xmin::text::bigint) FROM marts.{fact})"
                                     ).fetchone()[0]
    return out


def test_one_new_month_incremental_vs_full_refresh(fresh_database_url: str) -> None:
    url = fresh_database_url
    load_reference_table(url)
    history = months(date(2022, 1, 1), 24)
    province_history(url, PROVINCE, history)
    first = build(url)
    assert first.success, [str(f) for f in first.failures]
    written = _last_writes(url)
    idle = build(url)                                   # nothing changed: nothing rewritten
    assert idle.success
    assert _last_writes(url) == written

    rng = random.Random(99)
    with psycopg.connect(url) as conn:
        for d in district_codes(url, PROVINCE):
            synthetic_month(conn, PROVINCE, d, commune_codes(url, d), date(2024, 1, 1), rng)
    incremental = build(url)
    assert incremental.success, [str(f) for f in incremental.failures]
    assert _fact_rows_by_xmin(url) == {"fct_commune_criteria": 1, "fct_commune_status": 1,
                                       "fct_funding": 1, "fct_ocop_product": 1}
    full = build(url, full_refresh=True)
    assert full.success
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM marts.fct_commune_criteria").fetchone()[0]
    assert rows == 25 * 453 * 19
