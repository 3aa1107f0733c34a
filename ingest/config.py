"""All configuration, read from environment variables in one place.

| variable | default | meaning |
|---|---|---|
| NTM_DATABASE_URL | (local cluster) | PostgreSQL URL of the warehouse; unset = the project's own cluster |
| NTM_HOME | project root | where the project lives (dbt project, expectations) |
| NTM_STATE_DIR | $NTM_HOME/.ntm | local state: PostgreSQL cluster, archive, Data Docs, logs |
| NTM_ARCHIVE_DIR | $NTM_STATE_DIR/archive | content-addressed archive of every received file |
| NTM_INBOX | $NTM_STATE_DIR/inbox | where the monthly DAG looks for submissions (path or URL) |
| NTM_DATA_DOCS_DIR | $NTM_STATE_DIR/data_docs | the Great Expectations Data Docs site |
| NTM_PG_PORT | first free from 54329 | port of the local cluster |
| NTM_MAX_FILE_MB | 50 | largest accepted file |
| NTM_MAX_ROWS | 200000 | most rows per sheet |
| NTM_NOTIFY_URL | (off) | webhook for coverage alerts |
| NTM_SMTP_TO | (off) | e-mail address for coverage alerts (uses Airflow's SMTP settings) |
| NTM_PROVINCES | (provinces that sent anything) | the deployment's provinces, whose units coverage expects: GSO codes, comma-separated (`27` or `24,27`), or `all` for the whole country |
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    home: Path
    state_dir: Path
    archive_dir: Path
    inbox: str
    data_docs_dir: Path
    database_url: str | None
    pg_port: int | None
    max_file_bytes: int
    max_rows: int
    max_zip_entries: int
    max_zip_ratio: int
    notify_url: str | None
    smtp_to: str | None
    # None: the provinces that sent anything; ("all",): the whole country; else GSO codes
    provinces: tuple[str, ...] | None = None

    @property
    def dbt_project_dir(self) -> Path:
        return self.home / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return self.home / "expectations"

    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "pg"


def parse_provinces(value: str | None) -> tuple[str, ...] | None:
    """`NTM_PROVINCES`: unset or blank → None (the provinces that sent anything); `all` → ("all",);
    else comma-separated GSO province codes, zero-padded to two digits (`1,27` → ("01", "27"))."""
    text = (value or "").strip()
    if not text:
        return None
    if text.lower() == "all":
        return ("all",)
    codes = []
    for part in text.split(","):
        code = part.strip()
        if not code:
            continue
        if not code.isascii() or not code.isdigit() or len(code) > 2:
            raise ValueError(f"NTM_PROVINCES must be 'all' or comma-separated GSO province codes "
                             f"(e.g. 27 or 24,27), not {value!r}")
        codes.append(code.zfill(2))
    return tuple(dict.fromkeys(codes)) or None


def load_settings() -> Settings:
    home = _path("NTM_HOME", PROJECT_ROOT)
    state = _path("NTM_STATE_DIR", home / ".ntm")
    port = os.environ.get("NTM_PG_PORT")
    return Settings(
        home=home,
        state_dir=state,
        archive_dir=_path("NTM_ARCHIVE_DIR", state / "archive"),
        inbox=os.environ.get("NTM_INBOX") or str(state / "inbox"),
        data_docs_dir=_path("NTM_DATA_DOCS_DIR", state / "data_docs"),
        database_url=os.environ.get("NTM_DATABASE_URL") or None,
        pg_port=int(port) if port else None,
        max_file_bytes=int(float(os.environ.get("NTM_MAX_FILE_MB", "50")) * 1024 * 1024),
        max_rows=int(os.environ.get("NTM_MAX_ROWS", "200000")),
        max_zip_entries=int(os.environ.get("NTM_MAX_ZIP_ENTRIES", "50")),
        max_zip_ratio=int(os.environ.get("NTM_MAX_ZIP_RATIO", "200")),
        notify_url=os.environ.get("NTM_NOTIFY_URL") or None,
        smtp_to=os.environ.get("NTM_SMTP_TO") or None,
        provinces=parse_provinces(os.environ.get("NTM_PROVINCES")),
    )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block (for in-process dbt and Airflow),
    restoring what was there before."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
