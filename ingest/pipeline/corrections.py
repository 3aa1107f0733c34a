"""Corrections through the inbox: files dropped into a month's inbox folder after that month's run.

The monthly run receives what is in `<inbox>/<YYYY-MM>/` when it runs; a district's corrected
file (version 2) dropped there later is picked up by the watcher (`ntm_raw_watch`, every 15
minutes): `waiting` lists, for each month that a run has already closed, the files that appeared
after it (modified after the run started: a stat, or an object's LastModified, no read) and whose
bytes were never received (SHA-256 not in `audit.submission`: a file is never received twice by the
watcher). Months without a run yet are left to their monthly run. The inbox is a folder or object
storage (`s3://...`): a remote candidate is fetched into a temporary folder to be hashed, which is
removed afterwards, so the watcher needs no worker's disk either.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from functools import cache
from pathlib import Path

import psycopg

from ingest.intake import storage
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


def waiting(inbox: str, url: str) -> dict[str, list[str]]:
    """{`YYYY-MM`: [paths or URLs]} of the corrections waiting in the inbox, for months already closed."""
    if not storage.is_remote(inbox) and not storage.local_path(inbox).is_dir():
        return {}
    with psycopg.connect(url) as conn:
        closed = dict(conn.execute(_query()).fetchall())
        out: dict[str, list[str]] = {}
        for month, closed_at in sorted(closed.items()):
            fresh = [p for p in discover(inbox, month_of(month))
                     if (written := storage.modified(p)) is not None and written > closed_at]
            with storage.fetched(fresh) as local:
                hashes = {p: _sha256(path) for p, path in zip(fresh, local, strict=True)}
            known = {r[0] for r in conn.execute(
                "SELECT sha256 FROM audit.submission WHERE sha256 = ANY(%s)",
                ([h for h in hashes.values() if h],)).fetchall()}
            new = [p for p, h in hashes.items() if h and h not in known]
            if new:
                out[month] = new
    return out


def months_of(found: dict[str, list[str]]) -> list[date]:
    return [month_of(m) for m in sorted(found)]
