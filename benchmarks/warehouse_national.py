"""Benchmark: the warehouse over years of national history (issue 15, item 2).

    make bench-warehouse   # or: .venv/bin/python -m benchmarks.warehouse_national [--years 10] [--points 1,2,5,10]

Every district with xã of the 63 legacy provinces, month after month, ending with June 2025 (the
last month of the legacy units, which is also the month the last point's incremental build adds). One month is synthesised district by district (as the loader
would leave it: audit row, thong_tin, marks, funding, OCOP, support); every other month is a
set-based copy of it into `raw` under new submission ids, the criteria set in force for its period
and more criteria met as time goes on. At each point of the curve (history of 1, 2, ... years) it
measures, and prints with targets and MET / NOT MET:

- the full refresh (`dbt build --full-refresh`), then a VACUUM (ANALYZE) of the database, timed on
  its own (the steady state the monthly build meets: autovacuum done),
- `dbt build` after one more national month (incremental): target <= 20 s and <= 25% of the full refresh,
  with the node time summed by kind (models, data tests, unit tests),
- the copy of the published marts into `marts_build` that the pipeline's build starts from,
- the typical BI queries on the marts (a province's progress over a year, a district's funding by
  source, OCOP by stars nationally), best of five: target <= 200 ms each,
- the database size.

Uses its own database on the local cluster (or the server of NTM_DATABASE_URL), dropped
afterwards unless --keep. The ten-year curve takes long on two cores; `--years 1` is a quick look.
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
from ingest.warehouse.publish import prepare_build_schema
from tests.fixtures.database import create_database, drop_database
from tests.fixtures.warehouse import RAW_TABLES, commune_codes, district_codes, months, synthetic_month

INCREMENTAL_TARGET_S = 20.0
INCREMENTAL_SHARE_TARGET = 0.25
QUERY_TARGET_MS = 200.0
LAST_LEGACY_MONTH = date(2025, 6, 1)
NEW_SET_FROM = date(2022, 3, 1)          # domain.md: 2021-2025 in force from March 2022

# The questions BI users ask most (marts.md): one statement each, on the published marts.
BI_QUERIES = {
    "province progress over a year": (
        "SELECT month, communes_expected, communes_ntm, pct_communes_ntm, avg_criteria_per_commune "
        "FROM marts.mart_progress WHERE unit_level = 'province' AND unit_code = %(province)s "
        "AND month BETWEEN %(year_start)s AND %(year_end)s ORDER BY month"),
    "district funding by source": (
        "SELECT month, ns_tw_ytd_mvnd, ns_tinh_ytd_mvnd, ns_huyen_ytd_mvnd, long_ghep_ytd_mvnd, tin_dung_ytd_mvnd, "
        "doanh_nghiep_ytd_mvnd, nhan_dan_ytd_mvnd, khac_ytd_mvnd, community_share FROM marts.mart_funding "
        "WHERE unit_level = 'district' AND unit_code = %(district)s AND month BETWEEN %(year_start)s "
        "AND %(year_end)s ORDER BY month"),
    "OCOP by stars nationally": (
        "SELECT month, sum(products_3_star), sum(products_4_star), sum(products_5_star) FROM marts.mart_ocop "
        "WHERE unit_level = 'province' AND month = %(year_end)s GROUP BY month"),
}


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def _slowest(lines: list[str], n: int = 4) -> str:
    timed = []
    for line in lines:
        m = re.search(r"^\S+\s+(?:model|test|snapshot)\s+(\S+) \(([\d.]+) s\)", line)
        if m:
            timed.append((float(m.group(2)), m.group(1)))
    return ", ".join(f"{name} {s:.1f} s" for s, name in sorted(timed, reverse=True)[:n])


def _by_kind(lines: list[str]) -> str:
    """Node time summed by kind (models, data tests, unit tests): dbt runs nodes on several
    threads, so the sums exceed the wall time; they say where the work goes."""
    sums: dict[str, float] = {}
    for line in lines:
        m = re.search(r"^\S+\s+(\S+)\s+\S+ \(([\d.]+) s\)", line)
        if m:
            sums[m.group(1)] = sums.get(m.group(1), 0.0) + float(m.group(2))
    return ", ".join(f"{kind}s {s:.1f} s" for kind, s in sorted(sums.items(), key=lambda kv: -kv[1]))


def criteria_set(period: date) -> str:
    return "2021-2025" if period >= NEW_SET_FROM else "2016-2020"


def copy_month(conn: psycopg.Connection, template: date, period: date, step: int) -> int:
    """Every accepted submission of `template` again for `period` (set-based, new ids); `step`
    months after the template, a few more criteria are met. Returns the submissions written."""
    p = {"t": template, "p": period, "set": criteria_set(period), "step": step}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS bench_map (old_id bigint, new_id bigint) ON COMMIT DROP")
    conn.execute("TRUNCATE bench_map")
    conn.execute(
        """WITH src AS (
               SELECT * FROM audit.submission WHERE period = %(t)s AND status = 'accepted'),
           ins AS (
               INSERT INTO audit.submission (file_name, sha256, bytes, file_format, submitting_unit_code,
                      province_code, period, version, received_at, status, archive_path, loaded_at)
               SELECT replace(file_name, to_char(%(t)s::date, 'YYYY-MM'), to_char(%(p)s::date, 'YYYY-MM')),
                      md5(sha256 || %(p)s::text) || md5(%(p)s::text || sha256), bytes, file_format,
                      submitting_unit_code, province_code, %(p)s, version,
                      received_at + (%(p)s::date - %(t)s::date) * interval '1 day', 'accepted',
                      archive_path || '-' || %(p)s::text, now()
               FROM src
               RETURNING submission_id, submitting_unit_code)
           INSERT INTO bench_map SELECT src.submission_id, ins.submission_id
           FROM src JOIN ins USING (submitting_unit_code)""", p)
    conn.execute(
        """INSERT INTO raw.thong_tin (submission_id, province_code, submitting_unit_code, period, version,
                  submitted_on, prepared_by, criteria_set)
           SELECT m.new_id, t.province_code, t.submitting_unit_code, %(p)s, t.version,
                  t.submitted_on + (%(p)s::date - %(t)s::date), t.prepared_by, %(set)s
           FROM raw.thong_tin t JOIN bench_map m ON m.old_id = t.submission_id""", p)
    for table in RAW_TABLES:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = %s AND column_name <> 'submission_id' ORDER BY ordinal_position", (table,))]
        listed = ", ".join(f"t.{c}" for c in cols)
        conn.execute(f"INSERT INTO raw.{table} (submission_id, {', '.join(cols)}) "  # noqa: S608 (benchmark)
                     f"SELECT m.new_id, {listed} FROM raw.{table} t JOIN bench_map m ON m.old_id = t.submission_id")
    # progress over time: a criterion not met in the template becomes met after a month that
    # depends on the commune and the criterion (about one in a hundred and twenty per month)
    conn.execute(
        """UPDATE raw.tieu_chi_xa_mark k SET is_met = true FROM bench_map m
           WHERE k.submission_id = m.new_id AND NOT k.is_met
             AND abs(hashtext(k.commune_code || k.criterion_code)) %% 120 < %(step)s""", p)
    n = conn.execute("SELECT count(*) FROM bench_map").fetchone()[0]
    conn.commit()
    return n


def bi_timings(url: str, province: str, district: str, year_end: date) -> dict[str, float]:
    """Best of five, in milliseconds, per BI query."""
    params = {"province": province, "district": district, "year_end": year_end,
              "year_start": date(year_end.year - 1, year_end.month, 1)}
    out = {}
    with psycopg.connect(url) as conn:
        for name, sql in BI_QUERIES.items():
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                conn.execute(sql, params).fetchall()
                best = min(best, (time.perf_counter() - t0) * 1000)
            out[name] = best
    return out


def database_mb(url: str) -> float:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


def settle(url: str) -> float:
    """VACUUM (ANALYZE) of the database: seconds. Autovacuum processes every table a full refresh
    wrote in the minutes after it (7 tables of 0.1-1.4 GB at ten years, 3 minutes here); the
    monthly build comes weeks later. Measured right after the full refresh, the one-month build
    shared the two cores with it (19.8 and 22.4 s for the same code, 2026-12-07)."""
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10, help="years of history at the last point (default 10)")
    parser.add_argument("--points", default="", help="years at which to measure, e.g. 1,2,5,10 (default: 1, then every "
                        "second year, and --years)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    points = sorted({int(x) for x in args.points.split(",") if x.strip()} or
                    {1, *range(2, args.years + 1, 2), args.years})
    if points[-1] > args.years or points[0] < 1:
        parser.error("--points must lie between 1 and --years")

    n_months = 12 * args.years
    # the incremental month of the last point is June 2025, a month of the legacy units like every
    # other: a later month would name units no longer in force, whose rows the marts rightly drop
    history = months(date(LAST_LEGACY_MONTH.year - args.years, LAST_LEGACY_MONTH.month, 1), n_months + 1)
    server = localdb.resolve_url(load_settings())
    url = create_database(server, "ntm_bench")
    rows = []
    ok = True
    try:
        load_reference_table(url)
        with psycopg.connect(url) as conn:
            provinces = [r[0] for r in conn.execute(
                "SELECT unit_code FROM ref.admin_unit WHERE list_name = 'legacy' AND unit_level = 'province' "
                "ORDER BY 1")]
        units = {p: {d: commune_codes(url, d) for d in district_codes(url, p)} for p in provinces}
        districts = sum(1 for p in units for d in units[p] if units[p][d])
        xa = sum(len(c) for p in units for c in units[p].values())
        sample_province = "38"
        sample_district = next(d for d, c in units[sample_province].items() if c)
        template = history[0]
        rng = random.Random(1)
        t0 = time.perf_counter()
        with psycopg.connect(url) as conn:
            for p, ds in units.items():
                for d, communes in ds.items():
                    if communes:
                        synthetic_month(conn, p, d, communes, template, rng)
            conn.execute("UPDATE raw.thong_tin SET criteria_set = %s", (criteria_set(template),))
            conn.commit()
        print(f"national month: {districts} districts with xã ({xa:,} xã); history {history[0]:%Y-%m} .. "
              f"{history[n_months - 1]:%Y-%m}; template month written in {time.perf_counter() - t0:.1f} s", flush=True)

        written = 1
        for years in points:
            t0 = time.perf_counter()
            with psycopg.connect(url) as conn:
                while written < 12 * years:
                    copy_month(conn, template, history[written], written)
                    written += 1
                store.refresh_statistics(conn)          # as the loader does after a load
                conn.commit()
            synth = time.perf_counter() - t0
            full_lines: list[str] = []
            full = build(url, full_refresh=True, progress=full_lines.append, unit_tests=False)
            settle_s = settle(url)
            with psycopg.connect(url) as conn:          # one more month, then the incremental build
                copy_month(conn, template, history[written], written)
                store.refresh_statistics(conn)
                conn.commit()
            inc_lines: list[str] = []
            inc = build(url, progress=inc_lines.append, unit_tests=False)
            with psycopg.connect(url) as conn:          # back to `years` years for the next point
                ids = [r[0] for r in conn.execute("SELECT submission_id FROM audit.submission WHERE period = %s",
                                                  (history[written],))]
                for table in (*RAW_TABLES, "thong_tin"):
                    conn.execute(f"DELETE FROM raw.{table} WHERE submission_id = ANY(%s)", (ids,))  # noqa: S608
                conn.execute("DELETE FROM audit.submission WHERE submission_id = ANY(%s)", (ids,))
                conn.commit()
            t0 = time.perf_counter()        # what the pipeline adds: the marts copied into marts_build
            prepare_build_schema(url)
            copy_s = time.perf_counter() - t0
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA marts_build CASCADE")
            queries = bi_timings(url, sample_province, sample_district, history[written - 1])
            size = database_mb(url)
            ok = ok and full.success and inc.success
            rows.append((years, full.elapsed, inc.elapsed, queries, size))
            share = inc.elapsed / full.elapsed if full.elapsed else 0.0
            print(f"\n{years:>2} year(s), {12 * years} months ({synth:.0f} s to write):", flush=True)
            print(f"  full refresh          {full.elapsed:7.1f} s   (slowest: {_slowest(full_lines)})")
            print(f"  VACUUM (ANALYZE)      {settle_s:7.1f} s   (after the full refresh, in neither figure: what "
                  "autovacuum does in the minutes after it, and would otherwise do during the next build)")
            print(f"  one more month        {inc.elapsed:7.1f} s = {100 * share:.0f}% of the full refresh "
                  f"(target <= {INCREMENTAL_TARGET_S:g} s and <= {100 * INCREMENTAL_SHARE_TARGET:.0f}%: "
                  f"{_verdict(inc.elapsed <= INCREMENTAL_TARGET_S and share <= INCREMENTAL_SHARE_TARGET)}) "
                  f"(slowest: {_slowest(inc_lines)}; node time: {_by_kind(inc_lines)})")
            print(f"  copy into marts_build {copy_s:7.1f} s   (the pipeline's build starts from a copy of the "
                  "published marts: build_checked)")
            for name, ms in queries.items():
                print(f"  {name:<30} {ms:7.1f} ms (target <= {QUERY_TARGET_MS:g} ms: {_verdict(ms <= QUERY_TARGET_MS)})")
            print(f"  database size         {size:,.0f} MB", flush=True)
            if not (full.success and inc.success):
                print("  a build failed:", [str(f) for f in full.failures + inc.failures])
        print("\ncurve (years: full refresh s / incremental s / slowest BI query ms / database MB)")
        for years, f, i, q, s in rows:
            print(f"  {years:>2}: {f:7.1f} / {i:6.1f} / {max(q.values()):6.1f} / {s:8,.0f}")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(server, url)


if __name__ == "__main__":
    sys.exit(main())
