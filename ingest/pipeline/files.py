"""Which files a month has, and what a file's name and a run's kind say about them."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest.intake import storage

Progress = Callable[[str], None]
# When a file arrived: a fixed time, a function of the file's path (the demo simulates receipt
# days), or None for now() (the real pipeline).
ReceivedAt = datetime | Callable[[str], datetime | None] | None
_NAME_PERIOD = re.compile(r"(\d{4})-(\d{2})")
# `<YYYY-MM>_<unit>_v<N>.xlsx`: the period and the submitting unit (district 3 digits, province 2)
_NAME_UNIT = re.compile(r"(?<!\d)(\d{4})-(\d{2})_(\d{2,3})(?!\d)")


def month_of(text: str) -> date:
    """`2023-05` → date(2023, 5, 1); raises ValueError with a usable message otherwise."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM, e.g. 2023-05)")
    return date(int(m.group(1)), int(m.group(2)), 1)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files, zips and CSV folders to receive. A folder holding `thong_tin.csv` is one submission;
    any other folder is searched (not recursively into submissions). Hidden files are skipped.
    Links are never followed (`lstat`): a link, a named pipe or a device is listed as it is, and
    receiving refuses it (`unsafe_file`) without opening it."""
    found: list[Path] = []
    for raw_path in paths:
        p = Path(raw_path)
        if not os.path.lexists(p):
            raise FileNotFoundError(f"no such file or folder: {p}")
        if stat.S_ISDIR(os.lstat(p).st_mode) and not os.path.lexists(p / "thong_tin.csv"):
            for child in sorted(p.iterdir()):
                if not child.name.startswith("."):
                    found.extend(expand_paths([child]))
        else:
            found.append(p)
    return found


def month_folder(inbox: str, month: date) -> str:
    """Where a month's files are looked for: `<inbox>/<YYYY-MM>` (a path or a URL), as a run
    that found nothing says it."""
    return storage.join(inbox, month.strftime("%Y-%m"))


def discover(inbox: str, month: date) -> list[str]:
    """Submissions waiting in `<inbox>/<YYYY-MM>/`. The inbox is a folder or an object-storage
    URL (`s3://...`, ingest/intake/storage.py): remote submissions are listed as URLs (a file, or
    a folder holding `thong_tin.csv`), and `receive` fetches each one while it archives it, so
    nothing passes through one worker's disk to another."""
    sub = month.strftime("%Y-%m")
    if not storage.is_remote(inbox):
        folder = storage.local_path(inbox) / sub  # the inbox and month folder are set up by
        if not folder.is_dir():                    # the operator: followed if links
            return []
        return [str(p) for p in expand_paths([folder.resolve() if folder.is_symlink() else folder])]
    return _remote_submissions(storage.join(inbox, sub))


def _remote_submissions(url: str) -> list[str]:
    out: list[str] = []
    for entry in storage.entries(url):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir:
            out.append(entry.url)
        elif "thong_tin.csv" in {e.name for e in storage.entries(entry.url)}:
            out.append(entry.url)
        else:
            out.extend(_remote_submissions(entry.url))
    return out


def name_hints(file_name: str) -> tuple[str | None, str | None]:
    """(period `YYYY-MM`, submitting unit code) that a file name states, each None when it states
    none: `2023-05_258_v1.xlsx` → ("2023-05", "258"). The workbook is authoritative; the hints
    only say whom a file that could not be read was meant for."""
    named = _NAME_UNIT.search(file_name)
    hint = named or _NAME_PERIOD.search(file_name)
    period = f"{hint.group(1)}-{hint.group(2)}" if hint else None
    unit = named.group(3) if named and 1 <= int(named.group(2)) <= 12 else None
    return period, unit


def is_backfill_run(requested: Any = False, run_type: Any = None) -> bool:
    """Whether a run loads history from archives: asked for (`--backfill`, DAG conf
    `{"backfill": true}`), or an Airflow backfill (its DagRun's run_type is `backfill`)."""
    kind = getattr(run_type, "value", run_type)
    return bool(requested) or (isinstance(kind, str) and kind.lower() == "backfill")
