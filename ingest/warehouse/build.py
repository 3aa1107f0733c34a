"""The warehouse build: `dbt build` (seeds, models, snapshots, tests) in-process with dbtRunner.

The dbt project lives in `dbt_project/` (its `profiles.yml` reads DBT_HOST, DBT_PORT, DBT_USER,
DBT_PASSWORD, DBT_DBNAME); `build` sets those from an `NTM_DATABASE_URL`-style URL. dbt keeps
global state, so invocations are serialised by a process-wide lock; across processes the caller
serialises builds (ingest.warehouse.publish holds the warehouse advisory lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from ingest.config import Settings, environment, load_settings

Progress = Callable[[str], None]

_DBT_LOCK = threading.Lock()  # dbtRunner is not safe for parallel invocations in one process


@dataclass(frozen=True)
class Failure:
    node: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"{self.node} ({self.status}): {self.message}"


@dataclass
class BuildResult:
    success: bool
    elapsed: float
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


def dbt_env(url: str) -> dict[str, str]:
    """The DBT_* variables of profiles.yml from a PostgreSQL URL or conninfo string, and PGOPTIONS
    with the build sessions' `work_mem` (NTM_DBT_WORK_MEM) and JIT off.

    A Unix-socket URL (`postgresql://user@/db?host=/run/postgresql`) gives the socket directory as
    DBT_HOST, which psycopg2 (dbt-postgres) accepts as a host.
    """
    info = conninfo_to_dict(url)
    if not info.get("dbname"):
        raise ValueError(f"the database URL names no database: {url!r}")
    settings = load_settings()  # PGUSER / PGPASSWORD
    password = settings.pgpassword.get_secret_value() if settings.pgpassword else ""
    return {
        "PGOPTIONS": dbt_pgoptions(settings),
        "DBT_HOST": str(info.get("host") or "localhost"),
        "DBT_PORT": str(info.get("port") or "5432"),
        "DBT_USER": str(info.get("user") or settings.pguser or "postgres"),
        "DBT_PASSWORD": str(info.get("password") or password),
        "DBT_DBNAME": str(info["dbname"]),
    }


def dbt_pgoptions(settings: Settings | None = None) -> str:
    """PGOPTIONS for dbt's sessions, in-process (`dbt_env`) and in cosmos' tasks alike: the
    build sessions' `work_mem` (NTM_DBT_WORK_MEM) and JIT off, after the options the caller had.

    libpq passes PGOPTIONS to each dbt session (dbt-postgres has no setting for it); for a
    repeated option the last one counts. JIT off: a build's queries are estimated far above
    jit_above_cost and then spend more compiling than running (int_funding_known_month of a
    national year: 0.88 s, of which 0.46 s JIT; 0.47 s without)."""
    settings = settings or load_settings()
    return f"{os.environ.get('PGOPTIONS', '')} -c work_mem={settings.dbt_work_mem} -c jit=off".strip()


def project_dir() -> Path:
    return load_settings().dbt_project_dir


def target_dir() -> Path:
    """dbt's target folder (NTM_DBT_TARGET_DIR): manifest, compiled SQL, saved parses, dbt docs."""
    return load_settings().dbt_target_dir


def _node_line(event: Any) -> str | None:
    """One line for a finished node (model, test, seed, snapshot, unit test), else None."""
    if event.info.name != "NodeFinished":
        return None
    node = event.data.node_info
    result = event.data.run_result
    kind = node.resource_type or "node"
    return f"{result.status.upper():<7} {kind:<9} {node.node_name} ({result.execution_time:.2f} s)"


def dbt_vars(settings: Settings | None = None) -> dict[str, str]:
    """The dbt vars that come from the configuration: `ntm_provinces` (NTM_PROVINCES: the
    deployment's provinces for coverage: comma-separated codes, else `all`, the whole country,
    which is also what unset means (marts.md, "Who is expected"))."""
    settings = settings or load_settings()
    return {"ntm_provinces": ",".join(settings.provinces or ("all",))}


PARSES_KEPT = 16  # saved parses kept in target/parses/, the most recently used ones


def _saved_parse(target: Path, env: dict[str, str], dbt_vars_json: str) -> Path:
    """Where the parse for this database and these vars is kept: target/parses/<key>.msgpack.

    dbt keeps one saved parse (target/partial_parse.msgpack) and parses the whole project again
    (3-6 s; 3.1 s median in a CI run against 0.55 s reusing a parse) whenever the database or the
    vars differ from the last invocation's: its state check hashes the connection (host, port,
    user, database) and the vars. A process that builds more
    than one database in turn (a staging and a production warehouse, the test suite) keeps one
    saved parse per database. dbt still checks the saved parse against the project and the
    connection, so a stale or mismatched copy only costs a full parse, never a wrong build."""
    key = "\x00".join([env["DBT_HOST"], env["DBT_PORT"], env["DBT_USER"], env["DBT_DBNAME"], dbt_vars_json])
    return target / "parses" / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.msgpack"


def _keep_parse(written: Path, saved: Path, since_ns: int) -> None:
    """Copy the parse dbt wrote during this invocation (if it wrote one) to `saved`, atomically,
    and keep only the PARSES_KEPT most recently used saved parses."""
    try:
        if written.stat().st_mtime_ns < since_ns:
            return  # dbt reused a parse without writing one: target's copy may be another database's
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(written, tmp)
        os.replace(tmp, saved)
        kept = sorted(saved.parent.glob("*.msgpack"), key=lambda f: f.stat().st_mtime_ns, reverse=True)
        for old in kept[PARSES_KEPT:]:
            old.unlink(missing_ok=True)
    except FileNotFoundError:
        return  # another process pruned or replaced it meanwhile: the next build parses afresh


def _invoke(url: str, args: list[str], progress: Progress | None) -> tuple[Any, float]:
    from dbt.cli.main import dbtRunner

    settings = load_settings()
    directory, target = project_dir(), settings.dbt_target_dir
    callbacks = []
    if progress is not None:
        def on_event(event: Any) -> None:
            line = _node_line(event)
            if line:
                progress(line)

        callbacks.append(on_event)
    vars_json = json.dumps(dbt_vars())
    env = dbt_env(url)
    written, saved = target / "partial_parse.msgpack", _saved_parse(target, env, vars_json)
    full_args = [*args, "--vars", vars_json, "--project-dir", str(directory), "--profiles-dir", str(directory),
                 "--quiet", "--log-level-file", settings.dbt_log_level, "--log-path", str(settings.dbt_log_dir),
                 "--target-path", str(target)]
    with _DBT_LOCK, environment(env):
        t0, since_ns = time.perf_counter(), time.time_ns()
        reuse = ["--partial-parse-file-path", str(saved)] if saved.exists() else []
        result = dbtRunner(callbacks=callbacks).invoke([*full_args, *reuse])
        if type(result.exception).__name__ == "GraphDependencyNotFoundError":
            # dbt 1.11's partial parsing keeps a graph that no longer matches the project after an
            # edit of a macro that overrides a built-in (macros/test_window.sql): "'exposure...'
            # depends on 'snapshot...' which is not in the graph!", on every later run until the
            # saved parse is removed. It fails before any node runs, so parsing afresh is safe.
            written.unlink(missing_ok=True)
            saved.unlink(missing_ok=True)
            result = dbtRunner(callbacks=callbacks).invoke(full_args)
        _keep_parse(written, saved, since_ns)
        return result, time.perf_counter() - t0


def build(url: str, select: list[str] | None = None, full_refresh: bool = False,
          progress: Progress | None = None, unit_tests: bool = True) -> BuildResult:
    """`dbt build` of the warehouse (or of `select`); one progress line per finished node.

    `unit_tests=False` leaves out dbt's unit tests: they check the models' logic on fixed inputs,
    not the month's data, so the pipeline's builds skip them (as dbt advises for production runs;
    2-5 s of a small build) and `ntm transform`, the test suite and CI run them."""
    args = ["build"]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if select:
        args += ["--select", *select]
    if full_refresh:
        args.append("--full-refresh")
    res, elapsed = _invoke(url, args, progress)
    if res.exception is not None and res.result is None:
        return BuildResult(False, elapsed, {"error": 1},
                           [Failure("dbt", "error", f"{type(res.exception).__name__}: {res.exception}")])
    results = list(getattr(res.result, "results", None) or [])
    # per node; a project hook (on-run-start / on-run-end, none today) is not one, and shows as a failure only
    counts = Counter(str(r.status) for r in results if str(r.node.resource_type) != "operation")
    failures = [
        Failure(r.node.name, str(r.status), (r.message or "").strip())
        for r in results
        if str(r.status) in ("error", "fail", "runtime error")
    ]
    success = bool(res.success) and not failures
    if not success and not failures and res.exception is not None:
        failures.append(Failure("dbt", "error", str(res.exception)))
    return BuildResult(success, elapsed, dict(sorted(counts.items())), failures)


def docs_generate(url: str) -> Path:
    """`dbt docs generate` (offline); returns the target directory holding index.html."""
    res, _ = _invoke(url, ["docs", "generate"], None)
    if not res.success:
        raise RuntimeError(f"dbt docs generate failed: {res.exception}")
    return target_dir()
