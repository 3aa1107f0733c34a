"""Benchmark: ingest a national month (every district of all 63 provinces) and compare with the
physical floor, a bare COPY of the same normalised rows into empty tables.

    make bench            # or: .venv/bin/python -m benchmarks.ingest_national [--month 2024-03] [--keep]

Prints files/s, rows/s and the ratio to the floor. Target: a national month in under 60 s on
the 2-core reference machine. Uses its own fresh database on the local cluster (or the server
of NTM_DATABASE_URL) and drops it afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest import pipeline
from ingest.config import load_settings
from ingest.store import localdb
from ingest.store import statements as store
from ingest.store.db import migrate_all


def _database(server_url: str) -> str:
    name = f"ntm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = conninfo_to_dict(server_url)
    info["dbname"] = name
    return make_conninfo(**info)


def _floor(url: str) -> tuple[float, int]:
    """Seconds to COPY every raw row again into empty unlogged copies of the raw tables."""
    rows = 0
    with psycopg.connect(url) as conn:
        buffers = {}
        for table in store.RAW_COLUMNS:
            buf = io.BytesIO()
            raw_t, bench_t = sql.Identifier("raw", table), sql.Identifier(f"bench_{table}")
            with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(raw_t)) as cp:
                for chunk in cp:
                    buf.write(chunk)
            buffers[table] = buf.getvalue()
            rows += conn.execute(sql.SQL("SELECT count(*) FROM {}").format(raw_t)).fetchone()[0]
            conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (LIKE {})").format(bench_t, raw_t))
        conn.commit()
        t0 = time.perf_counter()
        for table, data in buffers.items():
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(f"bench_{table}"))) as cp:
                cp.write(data)
        conn.commit()
        return time.perf_counter() - t0, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", default="2024-03")
    ap.add_argument("--province", default="all")
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args()
    from ingest.devtools.generate import generate

    month = pipeline.month_of(args.month)
    settings = load_settings()
    server = localdb.resolve_url(settings)
    url = _database(server)
    try:
        migrate_all(url)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            files = generate(args.province, [month], Path(tmp), seed=1)
            t_gen = time.perf_counter() - t0
            print(f"generated {len(files)} submissions in {t_gen:.1f} s")
            t0 = time.perf_counter()
            outs = pipeline.ingest_paths([str(f) for f in files], url, build_docs=False)
            t_ingest = time.perf_counter() - t0
        accepted = sum(o.status == "accepted" for o in outs)
        t_floor, rows = _floor(url)
        print(f"ingest: {len(files)} files ({accepted} accepted) in {t_ingest:.1f} s = "
              f"{len(files) / t_ingest:.1f} files/s, {rows / t_ingest:,.0f} rows/s ({rows:,} rows)")
        print(f"floor:  bare COPY of the same rows {t_floor:.2f} s; ingest / floor = {t_ingest / t_floor:.0f}x")
        print(f"target: national month < 60 s -> {'MET' if t_ingest < 60 else 'NOT MET'}")
    finally:
        if not args.keep:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(conninfo_to_dict(url)["dbname"])))


if __name__ == "__main__":
    main()
