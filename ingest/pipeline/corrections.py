"""Corrections through the inbox: files dropped into a month's inbox folder after that month's run.

The monthly run receives what is in `<inbox>/<YYYY-MM>/` when it runs; a district's corrected
file (version 2) dropped there later is picked up by the watcher (`ntm_raw_watch`, every 15
minutes): `waiting` lists, for each month that a run has already closed, the files that appeared
after it (modified after the run started: a stat, no read) and whose bytes were never received
(SHA-256 not in `audit.submission`: a file is never received twice by the watcher). Months
without a run yet are left to their monthly run. Local inbox folders only (an object-storage
inbox is read by the monthly run).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import psycopg

from ingest.pipeline.files import discover, month_of


@cache
def _query() -> str:
    return Path(__file__).with_name("corrections.sql").read_text(encoding="utf-8")


def _sha256(path: Path) -> str | None:
    """The file's hash, or None for anything but a regular file (receiving refuses those)."""
    try:
        if not os.path.isfile(path) or os.path.islink(path):
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(os.lstat(path).st_mtime, UTC)


def waiting(inbox: str, url: str) -> dict[str, list[str]]:
    """{`YYYY-MM`: [paths]} of the corrections waiting in the inbox, for months already closed."""
    if "://" in inbox and not inbox.startswith("file://"):
        return {}
    root = Path(inbox.removeprefix("file://"))
    if not root.is_dir():
        return {}
    with psycopg.connect(url) as conn:
        closed = dict(conn.execute(_query()).fetchall())
        out: dict[str, list[str]] = {}
        for month, closed_at in sorted(closed.items()):
            fresh = [Path(p) for p in discover(str(root), month_of(month))]
            fresh = [p for p in fresh if os.path.lexists(p) and _modified(p) > closed_at]
            hashes = {str(p): _sha256(p) for p in fresh}
            known = {r[0] for r in conn.execute(
                "SELECT sha256 FROM audit.submission WHERE sha256 = ANY(%s)",
                ([h for h in hashes.values() if h],)).fetchall()}
            new = [p for p, h in hashes.items() if h and h not in known]
            if new:
                out[month] = new
    return out


def months_of(found: dict[str, list[str]]) -> list[date]:
    return [month_of(m) for m in sorted(found)]
