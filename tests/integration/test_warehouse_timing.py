"""Build time for one new month on top of two years of a province's history: incremental vs
full refresh. Prints the figures (run with -s to see them) and checks that the incremental
build only writes the new month."""

from __future__ import annotations

import random
import re
import time
from datetime import date

import psycopg

from ingest.intake.admin_units import load_reference_table
from ingest.warehouse.build import build
from tests.fixtures.warehouse import commune_codes, district_codes, months, province_history, synthetic_month

PROVINCE = "38"   # Thanh Hóa: 26 districts, 453 xã (547 commune-level units with its wards and townships)


def _fact_rows_by_xmin(url: str) -> dict[str, int]:
    """Rows of each fact table written by the latest transaction that wrote it, per month."""
    out = {}
    with psycopg.connect(url) as conn:
        for fact in ("fct_commune_criteria", "fct_commune_status", "fct_funding", "fct_ocop_product"):
            out[fact] = conn.execute(f"SELECT count(DISTINCT month) FROM marts.{fact} "
                                     f"WHERE xmin::text::bigint = (SELECT max(xmin::text::bigint) FROM marts.{fact})"
                                     ).fetchone()[0]
    return out


def _fact_seconds(lines: list[str]) -> float:
    """Seconds spent in the fact models of a build, from its progress lines."""
    return sum(float(re.search(r"\(([\d.]+) s\)", line).group(1)) for line in lines if " fct_" in line
               and line.split()[1] == "model")


def test_one_new_month_incremental_vs_full_refresh(fresh_database_url: str) -> None:
    url = fresh_database_url
    load_reference_table(url)
    history = months(date(2022, 1, 1), 24)
    t0 = time.perf_counter()
    submissions = province_history(url, PROVINCE, history)
    write_s = time.perf_counter() - t0
    first = build(url)
    assert first.success, [str(f) for f in first.failures]
    idle = build(url)                                   # nothing changed: nothing rewritten
    assert idle.success

    rng = random.Random(99)
    with psycopg.connect(url) as conn:
        for d in district_codes(url, PROVINCE):
            synthetic_month(conn, PROVINCE, d, commune_codes(url, d), date(2024, 1, 1), rng)
    incremental_lines: list[str] = []
    incremental = build(url, progress=incremental_lines.append)
    assert incremental.success, [str(f) for f in incremental.failures]
    assert _fact_rows_by_xmin(url) == {"fct_commune_criteria": 1, "fct_commune_status": 1,
                                       "fct_funding": 1, "fct_ocop_product": 1}
    full_lines: list[str] = []
    full = build(url, full_refresh=True, progress=full_lines.append)
    assert full.success
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM marts.fct_commune_criteria").fetchone()[0]
    print(f"\n{submissions} district submissions written in {write_s:.1f} s; fct_commune_criteria {rows} rows")
    print(f"first build {first.elapsed:.1f} s, no-change build {idle.elapsed:.1f} s, "
          f"one new month incremental {incremental.elapsed:.1f} s, full refresh {full.elapsed:.1f} s; "
          f"fact models {_fact_seconds(incremental_lines):.1f} s incremental vs {_fact_seconds(full_lines):.1f} s full")
    assert rows == 25 * 453 * 19
