"""Every PostgreSQL advisory-lock key of the platform, and the context managers that take them.

Session-level locks (`pg_advisory_lock`) on a connection of their own: they are held until the
`with` block ends (or the process dies: PostgreSQL releases a dead session's locks), whatever
the transactions on other connections do. Keys are `bigint`s in the 7_461_xxx / 7_462_xxx range.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import psycopg

MIGRATION = 7_461_001      # one migrator at a time (ingest.store.db.migrate)
SUBMISSION = 7_461_002     # one loader at a time decides versions (ingest.pipeline load)
WAREHOUSE = 7_461_003      # one warehouse build → check → publish at a time (shared marts tables)
MONTH_BASE = 7_462_000_000  # + YYYYMM: one monthly pipeline run per month at a time


def month_key(month: date) -> int:
    """The lock key of one reporting month."""
    return MONTH_BASE + month.year * 100 + month.month


@contextmanager
def held(conn: psycopg.Connection, key: int) -> Iterator[None]:
    """Hold the session lock `key` on `conn` (autocommit or not) for the block."""
    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    if not conn.autocommit:
        conn.commit()
    try:
        yield
    finally:
        if not conn.autocommit:
            conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        if not conn.autocommit:
            conn.commit()


@contextmanager
def locked(url: str, key: int) -> Iterator[None]:
    """Hold the session lock `key` on a connection of its own for the block."""
    with psycopg.connect(url, autocommit=True) as conn, held(conn, key):
        yield


def month_lock(url: str, month: date):
    """One pipeline run per month at a time; different months may run side by side."""
    return locked(url, month_key(month))


def warehouse_lock(url: str):
    """Warehouse builds are serialised: they rebuild the same tables and swap the same schema."""
    return locked(url, WAREHOUSE)
