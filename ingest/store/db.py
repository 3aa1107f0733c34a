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


class MigrationPrivilegeError(Exception):
    """Pending migrations (or a reference reload) that the connected role may not run."""


def pending_migrations(url: str) -> list[str]:
    """The migrations not applied yet, read with what any role may read: the catalogue, then
    meta.schema_migration (granted to ntm_loader by 0013). Raises MigrationPrivilegeError when the
    role cannot read it."""
    names = [name for name, _ in _migrations()]
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT has_schema_privilege(c.relnamespace, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'meta' AND c.relname = 'schema_migration'").fetchone()
        exists, readable = row is not None, bool(row and row[0])
        if not exists:
            return names
        if not readable:
            raise MigrationPrivilegeError(_needs_owner(conn, "cannot read meta.schema_migration to see "
                                                             "whether migrations are pending"))
        done = {r[0] for r in conn.execute("SELECT name FROM meta.schema_migration")}
    return [n for n in names if n not in done]


def _needs_owner(conn: psycopg.Connection, what: str) -> str:
    """One line: what the connected role cannot do, and the role it needs (the owner of
    meta.schema_migration, else the database's owner)."""
    me, owner = conn.execute(
        "SELECT current_user, coalesce("
        " (SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  WHERE n.nspname = 'meta' AND c.relname = 'schema_migration'),"
        " (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()))").fetchone()
    return (f"role {me} {what}: run `ntm db migrate` as the role that owns the schemas ({owner}), "
            "then run this command again")


def ensure_ready(url: str, *, always: bool = False) -> list[str]:
    """What every command does first: apply pending migrations (only when some are pending, so a
    role without DDL rights, such as ntm_loader, passes when the schema is current) and refresh
    the reference lists when outdated. `always` (`ntm db migrate`): run the migrations even when
    none is pending (they also check that no applied one was changed). Raises
    MigrationPrivilegeError, naming the role needed, when the role may not do what is needed."""
    pending = pending_migrations(url)
    try:
        return migrate_all(url) if pending or always else _reference_only(url)
    except psycopg.errors.InsufficientPrivilege as exc:
        with connect(url, autocommit=True) as conn:
            what = (f"may not apply {len(pending)} pending migration(s) ({', '.join(pending)})" if pending
                    else "may not run the migrations" if always
                    else "may not reload the outdated reference lists (ref.admin_unit)")
            raise MigrationPrivilegeError(_needs_owner(conn, what)) from exc


def _reference_only(url: str) -> list[str]:
    from ingest.store.reference import ensure_reference_table

    rows = ensure_reference_table(url)
    return [] if rows is None else [f"ref.admin_unit ({rows} units)"]


def migrate_all(url: str) -> list[str]:
    """Migrations, then the administrative reference lists when absent or outdated."""
    from ingest.store.reference import ensure_reference_table

    applied = migrate(url)
    rows = ensure_reference_table(url)  # when empty or built from another package version; keeps imports
    if rows is not None:
        applied.append(f"ref.admin_unit ({rows} units)")
    return applied
