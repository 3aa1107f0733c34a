"""Logins for BI users and auditors (`ntm db create-login`, issue 16 and issue 13 item 9).

A login is a PostgreSQL role with a password (scram-sha-256) and membership of one of the reader
roles of marts.md (`ntm_bi_reader`, `ntm_auditor`). A province reader is a `ntm_bi_reader` login
named in `meta.reader_scope` with its province: the row-level security of migration 0020 then
shows it only that province's rows in every mart. Never a superuser, never the loader.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import sql

Role = Literal["bi_reader", "auditor"]
ROLES: dict[str, str] = {"bi_reader": "ntm_bi_reader", "auditor": "ntm_auditor"}
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RESERVED = ("ntm_", "pg_", "postgres")


class LoginError(ValueError):
    """A login that cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class Login:
    name: str
    role: str
    province: str | None
    created: bool  # False: it existed and was updated (ensure_login)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _check(name: str, role: str, province: str | None) -> str | None:
    if not NAME.match(name) or name.startswith(RESERVED):
        raise LoginError(f"login name {name!r}: lower-case letters, digits and _ (at most 63), "
                         "not starting with ntm_, pg_ or postgres")
    if role not in ROLES:
        raise LoginError(f"role {role!r}: one of {', '.join(ROLES)}")
    if province is None:
        return None
    if role != "bi_reader":
        raise LoginError("--province is for bi_reader logins: auditors read the whole audit trail")
    code = province.strip().zfill(2)
    if not re.fullmatch(r"[0-9]{2}", code):
        raise LoginError(f"province {province!r}: a GSO province code such as 27")
    return code


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def _province_known(conn: psycopg.Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM ref.admin_unit WHERE unit_level = 'province' AND unit_code = %s LIMIT 1",
                        (code,)).fetchone() is not None


def _apply(conn: psycopg.Connection, name: str, role: str, province: str | None, password: str,
           create: bool) -> None:
    ident = sql.Identifier(name)
    with conn.transaction():
        conn.execute("SET LOCAL password_encryption = 'scram-sha-256'")
        verb = "CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD {}"
        if not create:
            verb = "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD {}"
        conn.execute(sql.SQL(verb).format(ident, sql.Literal(password)))
        for other in ROLES.values():
            if other != ROLES[role]:
                conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), ident))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(ROLES[role]), ident))
        conn.execute("DELETE FROM meta.reader_scope WHERE login = %s", (name,))
        if province is not None:
            conn.execute("INSERT INTO meta.reader_scope (login, province_code) VALUES (%s, %s)", (name, province))


def create_login(url: str, name: str, role: str, province: str | None = None, *,
                 password: str) -> Login:
    """Create a new login; an existing role of that name is an error (never taken over)."""
    code = _check(name, role, province)
    with psycopg.connect(url, autocommit=True) as conn:
        if _exists(conn, name):
            raise LoginError(f"a role named {name!r} exists already: choose another name "
                             f"(or DROP ROLE {name} first)")
        if code is not None and not _province_known(conn, code):
            raise LoginError(f"province {code} is not in the reference list of provinces")
        _apply(conn, name, role, code, password, create=True)
    return Login(name, ROLES[role], code, created=True)


def ensure_login(url: str, name: str, role: str, password: str, province: str | None = None) -> Login:
    """Create the login or bring an existing one to this role, province and password (idempotent;
    the BI launcher's own connection login). Refuses to touch a superuser."""
    code = _check(name, role, province)
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if row and row[0]:
            raise LoginError(f"{name!r} is a superuser: not a reader login")
        _apply(conn, name, role, code, password, create=row is None)
    return Login(name, ROLES[role], code, created=row is None)
