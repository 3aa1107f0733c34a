"""Benchmark: build time for one new month on top of two years of a province's history,
incremental vs full refresh (the figures tests/integration/test_warehouse_timing.py used to print).

    make bench   # or: .venv/bin/python -m benchmarks.warehouse_incremental [--keep]

Uses its own fresh database on the local cluster (or the server of NTM_DATABASE_URL) and drops it
afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from datetime import date

import psycopg

from ingest.config import load_settings
from ingest.store import localdb
from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build
from tests.fixtures.database import create_database, drop_database
from tests.fixtures.warehouse import commune_codes, district_codes, months, province_history, synthetic_month

PROVINCE = "38"   # Thanh Hóa: 26 districts, 453 xã


def _fact_seconds(lines: list[str]) -> float:
    """Seconds spent in the fact models of a build, from its progress lines."""
    return sum(float(re.search(r"\(([\d.]+) s\)", line).group(1)) for line in lines if " fct_" in line
               and line.split()[1] == "model")


def run(url: str) -> None:
    load_reference_table(url)
    started = time.perf_counter()
    submissions = province_history(url, PROVINCE, months(date(2022, 1, 1), 24))
    write_s = time.perf_counter() - started
    first = build(url)
    idle = build(url)
    rng = random.Random(99)
    with psycopg.connect(url) as conn:
        for d in district_codes(url, PROVINCE):
            synthetic_month(conn, PROVINCE, d, commune_codes(url, d), date(2024, 1, 1), rng)
    incremental_lines: list[str] = []
    incremental = build(url, progress=incremental_lines.append)
    full_lines: list[str] = []
    full = build(url, full_refresh=True, progress=full_lines.append)
    assert all(b.success for b in (first, idle, incremental, full)), "a build failed"
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM marts.fct_commune_criteria").fetchone()[0]
    print(f"{submissions} district submissions written in {write_s:.1f} s; fct_commune_criteria {rows} rows")
    print(f"first build {first.elapsed:.1f} s, no-change build {idle.elapsed:.1f} s, "
          f"one new month incremental {incremental.elapsed:.1f} s, full refresh {full.elapsed:.1f} s; "
          f"fact models {_fact_seconds(incremental_lines):.1f} s incremental vs {_fact_seconds(full_lines):.1f} s full")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args(argv)
    server = localdb.resolve_url(load_settings())
    url = create_database(server, "ntm_bench")
    try:
        run(url)
    finally:
        if not args.keep:
            drop_database(server, url)


if __name__ == "__main__":
    main()
