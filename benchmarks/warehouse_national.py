"""Benchmark: the dbt build of a national history (every district with xã of the 63 legacy
provinces, month after month) with the xã-only, carry-forward and cross-reform models.

    make bench-warehouse   # or: .venv/bin/python -m benchmarks.warehouse_national [--months 12] [--keep]

Writes accepted submissions straight into `raw` (as the loader would, with COPY), then times a
first build, a no-change build and the incremental build after one more month, and prints the
slowest models of each. Uses its own fresh database on the local cluster (or the server of
NTM_DATABASE_URL) and drops it afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import date

import psycopg

from ingest.config import load_settings
from ingest.store import localdb
from ingest.store import statements as store
from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build
from tests.fixtures.database import create_database, drop_database
from tests.fixtures.warehouse import commune_codes, district_codes, months, synthetic_month


def _slowest(lines: list[str], n: int = 5) -> str:
    timed = []
    for line in lines:
        m = re.search(r"^\S+\s+model\s+(\S+) \(([\d.]+) s\)", line)
        if m:
            timed.append((float(m.group(2)), m.group(1)))
    return ", ".join(f"{name} {s:.1f} s" for s, name in sorted(timed, reverse=True)[:n])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12, from 2024-01)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    server = localdb.resolve_url(load_settings())
    url = create_database(server, "ntm_bench")
    try:
        load_reference_table(url)
        with psycopg.connect(url) as conn:
            provinces = [r[0] for r in conn.execute(
                "SELECT unit_code FROM ref.admin_unit WHERE list_name = 'legacy' AND unit_level = 'province' "
                "ORDER BY 1")]
        units = {p: {d: commune_codes(url, d) for d in district_codes(url, p)} for p in provinces}
        districts = sum(1 for p in units for d in units[p] if units[p][d])
        xa = sum(len(c) for p in units for c in units[p].values())
        history = months(date(2024, 1, 1), args.months + 1)
        rng = random.Random(1)
        t0 = time.perf_counter()
        with psycopg.connect(url) as conn:
            for period in history[:-1]:
                for p, ds in units.items():
                    for d, communes in ds.items():
                        if communes:
                            synthetic_month(conn, p, d, communes, period, rng)
                conn.commit()
            store.refresh_statistics(conn)              # as the loader does after a load
            conn.commit()
        written = time.perf_counter() - t0
        print(f"{args.months} months x {districts} districts with xã ({xa} xã): "
              f"{args.months * districts} submissions written to raw in {written:.1f} s")

        first_lines: list[str] = []
        first = build(url, progress=first_lines.append)
        idle = build(url)
        with psycopg.connect(url) as conn:
            for p, ds in units.items():
                for d, communes in ds.items():
                    if communes:
                        synthetic_month(conn, p, d, communes, history[-1], rng)
        inc_lines: list[str] = []
        incremental = build(url, progress=inc_lines.append)
        ok = first.success and idle.success and incremental.success
        print(f"first build {first.elapsed:.1f} s (slowest: {_slowest(first_lines)})")
        print(f"no-change build {idle.elapsed:.1f} s")
        print(f"one more national month, incremental {incremental.elapsed:.1f} s (slowest: {_slowest(inc_lines)})")
        if not ok:
            print("a build failed:", [str(f) for f in first.failures + idle.failures + incremental.failures])
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(server, url)


if __name__ == "__main__":
    sys.exit(main())
