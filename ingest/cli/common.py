"""What the `ntm` commands share: exit codes, the usage error, output helpers, months, the database URL.

Cheap to import (the standard library only): `ntm --help` imports every command module.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

Subparsers = Any  # argparse's private _SubParsersAction


class UsageError(Exception):
    """A usage or configuration error: exit 2 with the message."""


def console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def months(spec: str) -> list[date]:
    """`2023-01..2023-12` or `2023-05` → list of first days of months."""
    from ingest.pipeline import month_of

    first, _, last = spec.partition("..")
    try:
        start, end = month_of(first), month_of(last or first)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if end < start:
        raise UsageError(f"empty month range {spec!r}: the end is before the start")
    out, cur = [], start
    while cur <= end:
        out.append(cur)
        cur = date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
    return out


def month(text: str) -> date:
    """One month `YYYY-MM`; a bad value is a usage error."""
    from ingest.pipeline import month_of

    try:
        return month_of(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def database_url(args: argparse.Namespace) -> str:
    from ingest.config import load_settings
    from ingest.store import localdb

    try:
        return localdb.resolve_url(load_settings(), args.database_url)
    except localdb.LocalDbError as exc:
        raise UsageError(str(exc)) from exc


def ready_url(args: argparse.Namespace) -> str:
    """The database URL, with pending migrations applied (only when some are pending: a role
    without DDL rights such as ntm_loader passes when the schema is current; when it cannot apply
    what is pending, a usage error names the role needed)."""
    from ingest.store.db import MigrationPrivilegeError, ensure_ready

    url = database_url(args)
    try:
        ensure_ready(url)
    except MigrationPrivilegeError as exc:
        raise UsageError(str(exc)) from exc
    return url


def connection_error(exc: BaseException) -> str | None:
    """One line for a database that cannot be reached (psycopg's OperationalError without a
    SQLSTATE, class 08, or a server shutting down, also mid-command); None for any other exception. psycopg is imported only
    when something failed and it is loaded already."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.OperationalError):
        return None
    state = getattr(exc, "sqlstate", None)  # None: the client could not connect or lost the server
    if state is not None and not state.startswith("08") and state not in ("57P01", "57P02", "57P03"):
        return None  # a timeout, a lock not available ...: not a connection problem
    text = " ".join(str(exc).split())
    return f"cannot reach the database: {text}"


def storage_error(exc: BaseException) -> str | None:
    """One line for shared storage (archive or inbox URL) that cannot be used: a missing bucket,
    an unreachable endpoint (ingest/intake/storage.py names the URL); None for anything else."""
    storage = sys.modules.get("ingest.intake.storage")
    if storage is None or not isinstance(exc, storage.StorageError):
        return None
    return "shared storage: " + " ".join(str(exc).split())


def progress(total: int, label: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A progress bar on a terminal (stderr); nothing otherwise. Returns (advance, close)."""
    if total < 2 or not sys.stderr.isatty():
        return (lambda _msg: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task(label, total=total)
    bar.start()
    return (lambda _msg: bar.advance(task)), bar.stop
