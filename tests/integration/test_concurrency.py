"""Concurrency and idempotency of whole monthly runs (CLI processes, real dbt builds).

Two runs of the same month at once are serialised and give what one run gives; another month
runs beside them; running a month again leaves every mart row identical."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
from psycopg import sql

from ingest.store.db import migrate_all

MARTS = ["mart_progress", "mart_funding", "mart_ocop", "fct_commune_status", "fct_funding",
         "fct_ocop_product", "fct_commune_criteria", "mart_submission_coverage"]
# Columns that name a receipt rather than its content (ids and clock times differ between runs).
VOLATILE = ["submission_id", "received_at"]


def mart_checksums(url: str) -> dict[str, str]:
    out = {}
    with psycopg.connect(url) as conn:
        for table in MARTS:
            row = sql.SQL("(to_jsonb(t) - {}::text[])::text").format(sql.Literal(VOLATILE))
            q = sql.SQL("SELECT count(*), md5(coalesce(string_agg(md5({r}), '' ORDER BY md5({r})), '')) "
                        "FROM {t} t").format(r=row, t=sql.Identifier("marts", table))
            n, digest = conn.execute(q).fetchone()
            out[table] = f"{n}:{digest}"
    return out


def ntm(url: str, *args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingest.cli.main", *args, "--database-url", url, "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_same_month_twice_at_once_is_serialised_and_equals_one_run(server_url, inbox, tmp_path):
    from tests.fixtures.database import create_database, drop_database

    concurrent, sequential = create_database(server_url), create_database(server_url)
    try:
        env = {**os.environ, "NTM_STATE_DIR": str(tmp_path / "state"), "NTM_INBOX": str(inbox)}
        for url in (concurrent, sequential):
            migrate_all(url)
        procs = [ntm(concurrent, "run", "--month", m, env=env) for m in ("2023-05", "2023-05", "2023-04")]
        results = [p.communicate(timeout=900) for p in procs]
        for p, (_out, err) in zip(procs, results, strict=True):
            assert p.returncode == 0, err[-3000:]
        with psycopg.connect(concurrent) as conn:
            per_status = dict(conn.execute(
                """SELECT s.status, count(*) FROM audit.submission s
                   LEFT JOIN audit.submission first ON first.submission_id = s.duplicate_of
                   WHERE coalesce(first.period, s.period) = '2023-05-01' GROUP BY 1""").fetchall())
            runs = conn.execute("SELECT state FROM audit.pipeline_run WHERE logical_month = '2023-05-01'").fetchall()
            loaded_twice = conn.execute(
                """SELECT count(*) FROM (SELECT sha256 FROM audit.submission WHERE status = 'accepted'
                   GROUP BY sha256 HAVING count(*) > 1) d""").fetchone()[0]
        # Bắc Ninh's 6 districts with xã (its cities Bắc Ninh and Từ Sơn have wards only: no submission)
        assert per_status == {"accepted": 6, "duplicate": 6}, per_status
        assert runs == [("success",), ("success",)]
        assert loaded_twice == 0

        for month in ("2023-04", "2023-05"):
            out, err = ntm(sequential, "run", "--month", month, env=env).communicate(timeout=900)
            assert "dbt_success" in out, err[-3000:]
        assert mart_checksums(concurrent) == mart_checksums(sequential)

        # Idempotency: the same month again changes no mart row.
        before = mart_checksums(sequential)
        p = ntm(sequential, "run", "--month", "2023-05", env=env)
        p.communicate(timeout=900)
        assert p.returncode == 0
        assert mart_checksums(sequential) == before
    finally:
        drop_database(server_url, concurrent)
        drop_database(server_url, sequential)
