"""The reader roles of marts.md, proven by logging in: login users that are members of
ntm_bi_reader / ntm_auditor read what they may and are refused the rest (raw, writes, DDL).
The marts' SELECT grants come from dbt's `grants` config (dbt_project.yml)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.warehouse.build import build


def _denied(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(sql)


def _allowed(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def test_bi_reader_reads_marts_only(login) -> None:
    url = login("ntm_bi_reader")
    assert len(_allowed(url, "SELECT source_code FROM marts.dim_funding_source")) == 10
    assert len(_allowed(url, "SELECT * FROM marts.dim_criterion")) == 56   # 2 x 19 commune + 2 x 9 district
    for relation in ("raw.thong_tin", "raw.nguon_von", "audit.submission", "audit.finding", "staging.stg_raw__thong_tin",
                     "reference.funding_sources"):
        _denied(url, f"SELECT * FROM {relation}")
    _denied(url, "INSERT INTO marts.dim_funding_source (source_code) VALUES ('x')")
    _denied(url, "DELETE FROM marts.dim_funding_source")
    _denied(url, "UPDATE marts.dim_criterion SET name_en = 'x'")
    _denied(url, "CREATE TABLE marts.intruder (x int)")
    _denied(url, "CREATE TABLE public.intruder (x int)")
    _denied(url, "INSERT INTO audit.submission (file_name, sha256, bytes, file_format, archive_path) "
                 "VALUES ('x', 'x', 1, 'x', 'x')")


def test_auditor_reads_marts_and_audit(login) -> None:
    url = login("ntm_auditor")
    assert len(_allowed(url, "SELECT source_code FROM marts.dim_funding_source")) == 10
    _allowed(url, "SELECT submission_id, status FROM audit.submission")
    _allowed(url, "SELECT * FROM audit.validation_run")
    _allowed(url, "SELECT * FROM audit.finding")
    _allowed(url, "SELECT * FROM audit.pipeline_run")
    for relation in ("raw.thong_tin", "raw.tieu_chi_xa_mark", "staging.stg_raw__thong_tin"):
        _denied(url, f"SELECT * FROM {relation}")
    _denied(url, "INSERT INTO audit.pipeline_run (dag_id) VALUES ('x')")
    _denied(url, "UPDATE audit.submission SET status = 'accepted'")
    _denied(url, "DELETE FROM marts.dim_criterion")
    _denied(url, "CREATE TABLE marts.intruder (x int)")
    _denied(url, "CREATE TABLE audit.intruder (x int)")


def test_marts_grants_come_from_dbt(marts_url: str) -> None:
    with psycopg.connect(marts_url) as conn:
        grants = conn.execute(
            "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
            "WHERE table_schema = 'marts' AND table_name = 'dim_funding_source' "
            "AND grantee IN ('ntm_bi_reader', 'ntm_auditor')").fetchall()
    assert sorted(grants) == [("ntm_auditor", "SELECT"), ("ntm_bi_reader", "SELECT")]


def test_transformer_builds_the_warehouse_and_readers_see_it(fresh_database_url: str) -> None:
    """dbt runs as a member of ntm_transformer (no superuser): it reads raw/audit/ref, writes its
    schemas and grants the marts to the reader roles."""
    user = f"ntm_transformer_test_{uuid.uuid4().hex[:8]}"
    reader = f"ntm_bi_reader_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{user}\" LOGIN PASSWORD 'pw' IN ROLE ntm_transformer")
        conn.execute(f"CREATE ROLE \"{reader}\" LOGIN PASSWORD 'pw' IN ROLE ntm_bi_reader")
    info = conninfo_to_dict(fresh_database_url)
    try:
        result = build(make_conninfo(**{**info, "user": user, "password": "pw"}))
        assert result.success, [str(f) for f in result.failures]
        reader_url = make_conninfo(**{**info, "user": reader, "password": "pw"})
        assert len(_allowed(reader_url, "SELECT * FROM marts.dim_funding_source")) == 10
        _allowed(reader_url, "SELECT * FROM marts.mart_progress")
        _denied(reader_url, "SELECT * FROM raw.thong_tin")
        transformer_url = make_conninfo(**{**info, "user": user, "password": "pw"})
        _denied(transformer_url, "INSERT INTO raw.thong_tin (submission_id) VALUES (1)")
    finally:
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            for role in (user, reader):
                conn.execute(f'DROP OWNED BY "{role}"')
                conn.execute(f'DROP ROLE "{role}"')
