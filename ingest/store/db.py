"""Connections and versioned migrations (plain SQL files in ingest/migrations, applied in order)."""

from __future__ import annotations

import hashlib
from importlib import resources

import psycopg

from ingest.store import locks


def connect(url: str, **kw) -> psycopg.Connection:
    return psycopg.connect(url, **kw)


def _migrations() -> list[tuple[str, str]]:
    files = sorted(
        (f for f in resources.files("ingest.store.migrations").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def migrate(url: str) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction. Returns their names."""
    applied: list[str] = []
    with connect(url, autocommit=True) as conn, locks.held(conn, locks.MIGRATION):
        conn.execute("CREATE SCHEMA IF NOT EXISTS meta")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS meta.schema_migration ("
            " name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = dict(conn.execute("SELECT name, checksum FROM meta.schema_migration").fetchall())
        for name, sql in _migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    raise RuntimeError(
                        f"migration {name} was changed after it was applied; "
                        "add a new migration file instead of editing an applied one"
                    )
                continue
            with conn.transaction():
                conn.execute(sql)
                conn.execute(
                    "INSERT INTO meta.schema_migration (name, checksum) VALUES (%s, %s)",
                    (name, checksum),
                )
            applied.append(name)
    return applied


def migrate_all(url: str) -> list[str]:
    """Migrations, then the administrative reference lists when absent or outdated."""
    from ingest.store.reference import ensure_reference_table

    applied = migrate(url)
    rows = ensure_reference_table(url)  # when empty or built from another package version; keeps imports
    if rows is not None:
        applied.append(f"ref.admin_unit ({rows} units)")
    return applied
