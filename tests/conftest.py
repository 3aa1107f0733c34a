"""Shared fixtures: a real PostgreSQL database per test session (never a stand-in).

Each pytest session gets its own fresh database on the server given by NTM_DATABASE_URL or, when
unset, on the project's local cluster (started on demand), so that parallel sessions never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.config import load_settings
from ingest.store import db, localdb

ROOT = Path(__file__).resolve().parent.parent


def _with_dbname(url: str, name: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = name
    return make_conninfo(**info)


def _to_url(conninfo: str) -> str:
    info = conninfo_to_dict(conninfo)
    user = info.get("user", "postgres")
    pw = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{user}{pw}@{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info['dbname']}"


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the server's maintenance database (for CREATE/DROP DATABASE)."""
    return localdb.resolve_url(load_settings())


def create_database(server_url: str, prefix: str = "ntm_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _to_url(_with_dbname(server_url, name))
    db.migrate(url)
    return url


def drop_database(server_url: str, url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test session."""
    url = create_database(server_url)
    yield url
    if not os.environ.get("NTM_KEEP_TEST_DB"):
        drop_database(server_url, url)


@pytest.fixture
def fresh_database_url(server_url: str) -> Iterator[str]:
    """A fresh, migrated database for one test (for tests that need an empty warehouse)."""
    url = create_database(server_url)
    yield url
    if not os.environ.get("NTM_KEEP_TEST_DB"):
        drop_database(server_url, url)


@pytest.fixture(scope="module")
def module_database_url(server_url: str) -> Iterator[str]:
    """A fresh, migrated database shared by the tests of one module."""
    url = create_database(server_url)
    yield url
    if not os.environ.get("NTM_KEEP_TEST_DB"):
        drop_database(server_url, url)
