"""All configuration, read from environment variables in one place: the `Settings` class below
(pydantic-settings). A bad value stops the program with a `ConfigError` naming the variable and
what it expects. The table is generated from the fields (`python -m ingest.config` prints it);
tests/unit/test_config.py checks this docstring, README.md and .env.example against them.

| variable | default | meaning |
|---|---|---|
| `NTM_HOME` | the project root | where the project lives (dbt project, expectations) |
| `NTM_STATE_DIR` | `$NTM_HOME/.ntm` | local state: PostgreSQL cluster, archive, inbox, Data Docs, logs |
| `NTM_ARCHIVE_DIR` | `$NTM_STATE_DIR/archive` | content-addressed archive of every received file (`<sha[:2]>/<sha256>.<ext>`) |
| `NTM_ARCHIVE_URL` | `$NTM_ARCHIVE_DIR` | where the archive lives, shared by every worker: a folder, or an object-storage URL (`s3://bucket/prefix`; credentials and endpoint from the standard `AWS_*` variables, `AWS_ENDPOINT_URL`) |
| `NTM_INBOX` | `$NTM_STATE_DIR/inbox` | where monthly runs look for submissions: `<inbox>/<YYYY-MM>/` (a folder or an object-storage URL) |
| `NTM_DATA_DOCS_DIR` | `$NTM_STATE_DIR/data_docs` | the Great Expectations Data Docs site |
| `NTM_AUDIT_SITE_DIR` | `$NTM_STATE_DIR/audit_site` | the audit site (month → province → district → submission), beside the Data Docs |
| `NTM_OUTBOX_DIR` | `$NTM_STATE_DIR/outbox` | feedback workbooks for districts: `<outbox>/<district>/<YYYY-MM>/` |
| `NTM_DATABASE_URL` | the local cluster | warehouse URL, e.g. `postgresql://user:pw@host:5432/ntm`; unset = the project's own cluster |
| `NTM_PG_PORT` | first free from 54329 | port of the local cluster |
| `NTM_MAX_FILE_MB` | 50 | largest accepted file (MB) |
| `NTM_MAX_ROWS` | 200000 | most rows per sheet |
| `NTM_MAX_ZIP_ENTRIES` | 50 | most files in a zip or a CSV folder |
| `NTM_MAX_ZIP_RATIO` | 200 | largest expansion ratio of a zip |
| `NTM_NOTIFY_URL` | off | webhook for coverage alerts |
| `NTM_SMTP_TO` | off | e-mail address for coverage alerts (sent with Airflow's SMTP settings) |
| `NTM_CONTACTS` | off | the districts' address book: a CSV file `unit_code,email` (several addresses of a unit separated by `;`, or one row each); a district whose submission was rejected or warned gets its feedback workbook by e-mail (Airflow's SMTP settings) |
| `NTM_PROVINCES` | all (the whole country) | the provinces the deployment serves, whose districts with xã coverage expects every month: GSO codes, comma-separated (`27`, `24,27`), or `all` for the whole country (passed to dbt as the var `ntm_provinces`) |
| `NTM_DEADLINE_HOURS` | 6 | DAG: the monthly run's Deadline Alert fires when it has not finished this many hours after it was queued |
| `NTM_CATCHUP` | false | DAG: let the scheduler create the monthly runs missed since the start date |
| `NTM_MAX_BATCHES` | 3 | DAG: most mapped receive/validate tasks per month; about the number of tasks the workers run at once (the local launcher runs 3): each mapped task pays its own start-up, so more batches than slots only add overhead |
| `NTM_MIN_BATCH` | 25 | DAG: fewest files per mapped task (except the last) |
| `NTM_TASK_RETRIES` | 3 | DAG: retries of each task (exponential back-off from 30 s) |
| `NTM_TASK_QUEUES` | every task on the default queue | Celery: route tasks to queues, `task_id=queue` comma-separated (`validate=ntm_worker_1,load=ntm_worker_2`); a cluster policy applies it to every DAG (the local launcher's `airflow_local_settings`) |
| `NTM_DBT_MODE` | task | DAG: `task` (one in-process `dbt build`) or `cosmos` (one Airflow task per model) |
| `NTM_DBT_EXECUTABLE` | `dbt` beside the Python interpreter | DAG: the dbt executable cosmos runs |
| `NTM_DBT_WORK_MEM` | 256MB | PostgreSQL `work_mem` of the dbt build's sessions (libpq's PGOPTIONS): the server's 4MB default makes a build's large group-bys and sorts spill to disk (a national month's incremental build at two years of history: 28 s with 4MB, 23 s with 256MB) |
| `NTM_DBT_LOG_LEVEL` | info | level of dbt's own log file (`dbt_project/logs/dbt.log`); `debug` adds every SQL statement (each node's SQL is in `dbt_project/target/run/` anyway) and costs a small build about 1 s of its 11 s |
| `NTM_DBT_TARGET_DIR` | `$NTM_HOME/dbt_project/target` | dbt's target folder: manifest, compiled SQL, saved parses, dbt docs; builds that run at the same time on one machine each need their own (the test suite gives each worker one) |
| `NTM_DBT_LOG_DIR` | `$NTM_HOME/dbt_project/logs` | dbt's own log file (`dbt.log`) |
| `PGUSER` | postgres | libpq's user for dbt when the database URL names none |
| `PGPASSWORD` | none | libpq's password for dbt when the database URL names none |
| `NTM_MAX_COLUMNS` | 500 | most columns per sheet (declared or real extent) |
| `NTM_MAX_CELLS` | 6000000 | cell budget of a workbook: rows x columns from A1 of its contract sheets, each and together, declared or real, checked before the sheets are read |
| `NTM_READER_WORKERS` | the cores | processes that read submissions (each a child process) |
| `NTM_READER_MEMORY_MB` | 3072 | memory (address space) limit of each reading process (MB) |
| `NTM_READER_TIMEOUT_S` | 120 | time limit for reading one file (seconds) |
| `NTM_LOGIN_PASSWORD` | generated, printed once | `ntm db create-login`: the new login's password |
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "NTM_"


class ConfigError(ValueError):
    """A bad configuration value: the message names the variable and what it expects."""


def parse_provinces(value: str | None) -> tuple[str, ...] | None:
    """`NTM_PROVINCES`: unset or blank → None (the whole country); `all` → ("all",);
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


def parse_routes(value: str | None) -> dict[str, str]:
    """`validate=ntm_worker_1, load=ntm_worker_2` → {"validate": "ntm_worker_1", "load": "ntm_worker_2"}."""
    routes: dict[str, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        task_id, sep, queue = (x.strip() for x in part.partition("="))
        if not sep or not task_id or not queue or not queue.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"must be task_id=queue pairs, comma-separated (validate=ntm_worker_1), not {value!r}")
        routes[task_id] = queue
    return routes


def _resolve(path: Path) -> Path:
    return path.expanduser().resolve()


ResolvedPath = Annotated[Path, AfterValidator(_resolve)]


def _shown(default: str) -> dict[str, Any]:
    """How the configuration table shows a default computed from other settings."""
    return {"shown_default": default}


class Settings(BaseSettings):
    """Every setting, from `NTM_<FIELD>` (PGUSER and PGPASSWORD as libpq names them). Defaults that
    depend on other settings are computed from them (`state_dir` from `home`, and so on)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True,
                                      extra="ignore")

    home: ResolvedPath = Field(PROJECT_ROOT, json_schema_extra=_shown("the project root"),
                               description="where the project lives (dbt project, expectations)")
    state_dir: ResolvedPath = Field(
        default_factory=lambda d: d.get("home", PROJECT_ROOT) / ".ntm", json_schema_extra=_shown("`$NTM_HOME/.ntm`"),
        description="local state: PostgreSQL cluster, archive, inbox, Data Docs, logs")
    archive_dir: ResolvedPath = Field(
        default_factory=lambda d: _state(d) / "archive", json_schema_extra=_shown("`$NTM_STATE_DIR/archive`"),
        description="content-addressed archive of every received file (`<sha[:2]>/<sha256>.<ext>`)")
    archive_url: str = Field(
        default_factory=lambda d: str(d.get("archive_dir") or _state(d) / "archive"),
        json_schema_extra=_shown("`$NTM_ARCHIVE_DIR`"),
        description="where the archive lives, shared by every worker: a folder, or an object-storage URL "
                    "(`s3://bucket/prefix`; credentials and endpoint from the standard `AWS_*` variables, "
                    "`AWS_ENDPOINT_URL`)")
    inbox: str = Field(
        default_factory=lambda d: str(_state(d) / "inbox"), json_schema_extra=_shown("`$NTM_STATE_DIR/inbox`"),
        description="where monthly runs look for submissions: `<inbox>/<YYYY-MM>/` (a folder or an "
                    "object-storage URL)")
    data_docs_dir: ResolvedPath = Field(
        default_factory=lambda d: _state(d) / "data_docs", json_schema_extra=_shown("`$NTM_STATE_DIR/data_docs`"),
        description="the Great Expectations Data Docs site")
    audit_site_dir: ResolvedPath = Field(
        default_factory=lambda d: _state(d) / "audit_site", json_schema_extra=_shown("`$NTM_STATE_DIR/audit_site`"),
        description="the audit site (month → province → district → submission), beside the Data Docs")
    outbox_dir: ResolvedPath = Field(
        default_factory=lambda d: _state(d) / "outbox", json_schema_extra=_shown("`$NTM_STATE_DIR/outbox`"),
        description="feedback workbooks for districts: `<outbox>/<district>/<YYYY-MM>/`")
    database_url: str | None = Field(
        None, repr=False, json_schema_extra=_shown("the local cluster"),
        description="warehouse URL, e.g. `postgresql://user:pw@host:5432/ntm`; unset = the project's own cluster")
    pg_port: int | None = Field(None, ge=1, le=65535, json_schema_extra=_shown("first free from 54329"),
                                description="port of the local cluster")
    max_file_mb: float = Field(50, gt=0, description="largest accepted file (MB)")
    max_rows: int = Field(200_000, gt=0, description="most rows per sheet")
    max_zip_entries: int = Field(50, gt=0, description="most files in a zip or a CSV folder")
    max_zip_ratio: int = Field(200, gt=0, description="largest expansion ratio of a zip")
    notify_url: str | None = Field(None, json_schema_extra=_shown("off"), description="webhook for coverage alerts")
    smtp_to: str | None = Field(None, json_schema_extra=_shown("off"),
                                description="e-mail address for coverage alerts (sent with Airflow's SMTP settings)")
    contacts: ResolvedPath | None = Field(
        None, json_schema_extra=_shown("off"),
        description="the districts' address book: a CSV file `unit_code,email` (several addresses of a unit "
                    "separated by `;`, or one row each); a district whose submission was rejected or warned gets "
                    "its feedback workbook by e-mail (Airflow's SMTP settings)")
    # None or ("all",): the whole country (marts.md, "Who is expected"); else GSO codes
    provinces: Annotated[tuple[str, ...] | None, NoDecode] = Field(
        None, json_schema_extra=_shown("all (the whole country)"),
        description="the provinces the deployment serves, whose districts with xã coverage expects every month: "
                    "GSO codes, comma-separated (`27`, `24,27`), or `all` for the whole country (passed to dbt "
                    "as the var `ntm_provinces`)")
    deadline_hours: int = Field(6, gt=0, description="DAG: the monthly run's Deadline Alert fires when it has "
                                                     "not finished this many hours after it was queued")
    catchup: bool = Field(False, description="DAG: let the scheduler create the monthly runs missed since the "
                                             "start date")
    max_batches: int = Field(3, ge=1, description="DAG: most mapped receive/validate tasks per month; about the number of tasks the workers run at once (the local launcher runs 3): each mapped task pays its own start-up, so more batches than slots only add overhead")
    min_batch: int = Field(25, ge=1, description="DAG: fewest files per mapped task (except the last)")
    task_retries: int = Field(3, ge=0, description="DAG: retries of each task (exponential back-off from 30 s)")
    task_queues: str | None = Field(
        None, json_schema_extra=_shown("every task on the default queue"),
        description="Celery: route tasks to queues, `task_id=queue` comma-separated (`validate=ntm_worker_1,load=ntm_worker_2`); a cluster policy applies it to every DAG (the local launcher's `airflow_local_settings`)")
    dbt_mode: Literal["task", "cosmos"] = Field(
        "task", description="DAG: `task` (one in-process `dbt build`) or `cosmos` (one Airflow task per model)")
    dbt_executable: Path = Field(
        default_factory=lambda: Path(sys.executable).with_name("dbt"),
        json_schema_extra=_shown("`dbt` beside the Python interpreter"), description="DAG: the dbt executable cosmos runs")
    dbt_work_mem: str = Field(
        "256MB", pattern=r"^[1-9][0-9]*(kB|MB|GB)$",
        description="PostgreSQL `work_mem` of the dbt build's sessions (libpq's PGOPTIONS): the server's 4MB default "
                    "makes a build's large group-bys and sorts spill to disk (a national month's incremental build "
                    "at two years of history: 28 s with 4MB, 23 s with 256MB)")
    dbt_log_level: Literal["debug", "info", "warn", "error", "none"] = Field(
        "info", description="level of dbt's own log file (`dbt_project/logs/dbt.log`); `debug` adds every SQL "
                            "statement (each node's SQL is in `dbt_project/target/run/` anyway) and costs a small "
                            "build about 1 s of its 11 s")
    dbt_target_dir: ResolvedPath = Field(
        default_factory=lambda d: d.get("home", PROJECT_ROOT) / "dbt_project" / "target",
        json_schema_extra=_shown("`$NTM_HOME/dbt_project/target`"),
        description="dbt's target folder: manifest, compiled SQL, saved parses, dbt docs; builds that run at "
                    "the same time on one machine each need their own (the test suite gives each worker one)")
    dbt_log_dir: ResolvedPath = Field(
        default_factory=lambda d: d.get("home", PROJECT_ROOT) / "dbt_project" / "logs",
        json_schema_extra=_shown("`$NTM_HOME/dbt_project/logs`"), description="dbt's own log file (`dbt.log`)")
    pguser: str | None = Field(None, validation_alias="PGUSER", json_schema_extra=_shown("postgres"),
                               description="libpq's user for dbt when the database URL names none")
    pgpassword: SecretStr | None = Field(None, validation_alias="PGPASSWORD", json_schema_extra=_shown("none"),
                                         description="libpq's password for dbt when the database URL names none")
    max_columns: int = Field(500, gt=0, description="most columns per sheet (declared or real extent)")
    max_cells: int = Field(6_000_000, gt=0,
                           description="cell budget of a workbook: rows x columns from A1 of its contract sheets, "
                                       "each and together, declared or real, checked before the sheets are read")
    reader_workers: int | None = Field(None, ge=1, json_schema_extra=_shown("the cores"),
                                       description="processes that read submissions (each a child process)")
    reader_memory_mb: int = Field(3072, ge=256, description="memory (address space) limit of each reading "
                                                            "process (MB)")
    reader_timeout_s: float = Field(120, gt=0, description="time limit for reading one file (seconds)")
    login_password: SecretStr | None = Field(
        None, repr=False, json_schema_extra=_shown("generated, printed once"),
        description="`ntm db create-login`: the new login's password")

    @field_validator("provinces", mode="before")
    @classmethod
    def _provinces(cls, value: Any) -> Any:
        return parse_provinces(value) if value is None or isinstance(value, str) else value

    @field_validator("archive_url", "inbox")
    @classmethod
    def _location(cls, value: str) -> str:
        text = value.strip()
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme not in ("", "file", "s3"):
            raise ValueError(f"must be a folder, a file:// URL or an s3:// URL, not {value!r}")
        if scheme == "s3" and not text.split("://", 1)[1].strip("/"):
            raise ValueError(f"an s3:// URL names a bucket (s3://bucket/prefix), not {value!r}")
        return text

    @field_validator("task_queues")
    @classmethod
    def _task_queues(cls, value: str | None) -> str | None:
        parse_routes(value)
        return value

    @property
    def queue_routes(self) -> dict[str, str]:
        """`NTM_TASK_QUEUES` as {task_id: queue}."""
        return parse_routes(self.task_queues)

    @field_validator("dbt_mode", mode="before")
    @classmethod
    def _dbt_mode(cls, value: Any) -> Any:
        mode = str(value).strip().lower()
        if mode not in ("task", "cosmos"):
            raise ValueError(f"NTM_DBT_MODE must be 'task' or 'cosmos', not {mode!r}")
        return mode

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def dbt_project_dir(self) -> Path:
        return self.home / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return self.home / "expectations"

    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "pg"


def _state(data: dict[str, Any]) -> Path:
    return data.get("state_dir", PROJECT_ROOT / ".ntm")


def variable(name: str) -> str:
    """The environment variable of a Settings field."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + name.upper()


def _problem(error: Any) -> str:
    name = variable(str(error["loc"][0])) if error["loc"] else "configuration"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{name}={error['input']!r}: {message}"


def load_settings() -> Settings:
    """The settings from the environment; a bad value raises ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors(include_url=False))
        raise ConfigError(f"invalid configuration: {problems}") from None


def configuration_table() -> str:
    """The Markdown table of every setting (README.md and this module's docstring hold it)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        shown = extra.get("shown_default")
        if shown is None:
            shown = str(info.default).lower() if isinstance(info.default, bool) else str(info.default)
        lines.append(f"| `{variable(name)}` | {shown} | {info.description} |")
    return "\n".join(lines) + "\n"


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


if __name__ == "__main__":
    print(configuration_table(), end="")
