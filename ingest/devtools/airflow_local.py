"""A local Airflow 3 for people without Docker, and for the end-to-end tests.

`start(settings)` runs `airflow db migrate`, then the api-server, scheduler, dag-processor and
triggerer in one process group of their own, with:

- AIRFLOW_HOME = `$NTM_STATE_DIR/airflow` (logs under `logs/`, one file per component);
- the metadata database `airflow` on the project's PostgreSQL (created when absent), next to the
  warehouse database;
- DAGs from the project's `dags/`, examples off, LocalExecutor with low parallelism;
- the API and UI on 127.0.0.1 only, with the simple auth manager and a generated admin password
  (kept in `simple_auth_manager_passwords.json.generated`), and the connection `ntm_airflow_api`
  with which tasks write their run's note;
- Great Expectations imported by the scheduler before it forks the executor's workers
  (`config/airflow_local_settings.py`), so each task inherits it instead of importing it.

With `executor="celery"` (`start --executor celery --workers 2`), the same with CeleryExecutor: a
private Debian `redis-server` (first free port from 6379, on loopback, no persistence, its folder
under `$AIRFLOW_HOME/redis`) as the broker, the metadata database as the result backend, and
`workers` processes `airflow celery worker` named ntm-worker-1, ntm-worker-2, ... Each consumes
the `default` queue and its own queue `ntm_worker_<n>`, records its name as the hostname of the
task instances it runs, and imports Great Expectations before forking its pool. A cluster policy
routes tasks to queues when `NTM_TASK_QUEUES` asks for it (`validate=ntm_worker_1,load=ntm_worker_2`:
what the Celery end-to-end test uses to prove that one submission's validate and load run on
different workers).

`stop(settings)` ends that process group (Redis and the workers too).
`python -m ingest.devtools.airflow_local start [--executor local|celery] [--workers N]|stop|status`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.config import Settings, load_settings
from ingest.store.localdb import free_port, resolve_url

USERNAME = "admin"
METADATA_DB = "airflow"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
START_TIMEOUT_S = 180
EXECUTORS = ("local", "celery")
WORKER_CONCURRENCY = 2


class AirflowLocalError(RuntimeError):
    """The local Airflow could not be started; the message says where to look."""


@dataclass(frozen=True)
class AirflowInfo:
    url: str
    username: str
    password: str


def home(settings: Settings) -> Path:
    return settings.state_dir / "airflow"


def _airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _secret(path: Path, make) -> str:
    """A secret kept in AIRFLOW_HOME (mode 600), made once, so restarts reuse it."""
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def metadata_url(settings: Settings, database: str = METADATA_DB) -> str:
    """SQLAlchemy URL of Airflow's metadata database on the warehouse's server (created if absent)."""
    warehouse = resolve_url(settings)
    info = conninfo_to_dict(warehouse)
    with psycopg.connect(make_conninfo(warehouse, dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    host = info.get("host") or "localhost"
    return f"postgresql+psycopg://{user}{password}@{host}:{info.get('port') or 5432}/{database}"


def environment(settings: Settings, port: int, database: str = METADATA_DB,
                schedule: bool = True, executor: str = "local",
                redis_port: int | None = None) -> dict[str, str]:
    """The environment of every Airflow process (and so of every task)."""
    from ingest.warehouse.build import dbt_env

    air = home(settings)
    air.mkdir(parents=True, exist_ok=True)
    warehouse = resolve_url(settings)
    env = {
        "AIRFLOW_HOME": str(air),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "3",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "3",
        "AIRFLOW__CORE__FERNET_KEY": _secret(air / "fernet.key",
                                             lambda: urlsafe_b64encode(os.urandom(32)).decode()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE":
            str(air / "simple_auth_manager_passwords.json.generated"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(settings, database),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(air / "jwt.secret", lambda: secrets.token_urlsafe(32)),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # a task's calls to the execution API: 5 s by default, which a busy 2-core machine exceeds
        # (a task then fails before it starts, `ReadTimeout`)
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True" if schedule else "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(air / "logs"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",  # no calls home (and no network here)
        # dbt creates multiprocessing locks that a task process leaves to the resource tracker at
        # exit: its "leaked semaphore objects" warning is noise in every dbt task's log
        "PYTHONWARNINGS": "ignore:resource_tracker:UserWarning",
        # the tasks write each run's note (its month and outcome) through the REST API with this
        # connection (dags/ntm_common.py, set_run_note): the local admin, on loopback only
        "AIRFLOW_CONN_NTM_AIRFLOW_API": json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port,
                                                    "schema": "http", "login": USERNAME,
                                                    "password": _password(settings)}),
        "NTM_DATABASE_URL": warehouse,
        "NTM_HOME": str(settings.home),
        "NTM_STATE_DIR": str(settings.state_dir),
        **dbt_env(warehouse),
    }
    if executor == "celery":
        env |= {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
        }
    return env


def worker_queue(n: int) -> str:
    """The queue only worker `n` consumes (besides `default`)."""
    return f"ntm_worker_{n}"


def worker_name(n: int) -> str:
    return f"ntm-worker-{n}"


def worker_environment(n: int) -> dict[str, str]:
    """What worker `n` adds: its name, recorded as the hostname of the task instances it runs."""
    return {"NTM_WORKER_NAME": worker_name(n),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "airflow_local_settings.worker_hostname"}


# airflow_local_settings.py (Airflow imports it at the start of every component): the scheduler
# imports Great Expectations once, so that the LocalExecutor's workers, forked from it, and the task
# processes they fork inherit it: GX (3-4 s to import) is imported once per worker, not in each task.
# A Celery worker does the same before forking its pool. The cluster policy `task_policy` routes tasks
# to Celery queues when NTM_TASK_QUEUES asks for it (applied where DAGs are parsed); `worker_hostname`
# (the workers' [core] hostname_callable) names the worker on each task instance it runs.
LOCAL_SETTINGS = '''"""Written by ingest.devtools.airflow_local: preload Great Expectations in the scheduler
and Celery workers; route tasks to queues (NTM_TASK_QUEUES); name each worker."""
import os
import socket
import sys

if sys.argv[1:2] == ["scheduler"] or sys.argv[1:3] == ["celery", "worker"]:
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # no start-up chatter
    import great_expectations  # noqa: F401


def task_policy(task):
    """Send a task to the queue NTM_TASK_QUEUES names for its task id (validate=ntm_worker_1,...)."""
    if not os.environ.get("NTM_TASK_QUEUES"):
        return
    from ingest.config import load_settings

    queue = load_settings().queue_routes.get(task.task_id)
    if queue:
        task.queue = queue


def worker_hostname():
    """The worker's name (ntm-worker-1, ...) where the launcher set one, else the host's name."""
    return os.environ.get("NTM_WORKER_NAME") or socket.getfqdn()
'''


def write_local_settings(settings: Settings) -> Path:
    """`$AIRFLOW_HOME/config/airflow_local_settings.py` (on Airflow's sys.path)."""
    path = home(settings) / "config" / "airflow_local_settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOCAL_SETTINGS, encoding="utf-8")
    return path


def _password(settings: Settings) -> str:
    """The admin password, written before the first start so that it is known (and kept)."""
    path = home(settings) / "simple_auth_manager_passwords.json.generated"
    if path.exists():
        return json.loads(path.read_text())[USERNAME]
    path.write_text(json.dumps({USERNAME: secrets.token_urlsafe(12)}) + "\n")
    path.chmod(0o600)
    return _password(settings)


def _pgid_file(settings: Settings) -> Path:
    return home(settings) / "airflow.pgid"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _api_port(settings: Settings) -> int | None:
    path = home(settings) / "api.port"
    return int(path.read_text()) if path.exists() else None


def _executor(settings: Settings) -> str:
    path = home(settings) / "executor"
    return path.read_text().strip() if path.exists() else "local"


def redis_binary() -> str:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists()
                                             else None)
    if not found:
        raise AirflowLocalError("the Celery executor needs redis-server (Debian: apt-get install redis-server; "
                                "make setup installs it)")
    return found


def _start_redis(settings: Settings, logs: Path) -> tuple[subprocess.Popen, int]:
    """A private redis-server on loopback (no persistence), leader of the process group."""
    port = free_port(6379)
    if port is None:
        raise AirflowLocalError("no free TCP port for redis-server")
    folder = home(settings) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    log = open(logs / "redis.log", "ab")  # noqa: SIM115 - kept by the child
    proc = subprocess.Popen([redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, process_group=0)
    log.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AirflowLocalError(f"redis-server exited ({proc.returncode}); see {logs / 'redis.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    (home(settings) / "redis.port").write_text(str(port))
                    return proc, port
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AirflowLocalError(f"redis-server did not answer on port {port}; see {logs / 'redis.log'}")


def _log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _wait_workers(logs: Path, offsets: dict[int, int], deadline: float) -> None:
    """Wait until each Celery worker logged that it is ready (in its log after `offsets[n]`)."""
    def ready(n: int) -> bool:
        with open(logs / f"{worker_name(n)}.log", "rb") as f:
            f.seek(offsets[n])
            return b" ready." in f.read()

    waiting = list(offsets)
    while waiting and time.monotonic() < deadline:
        waiting = [n for n in waiting if not ready(n)]
        if waiting:
            time.sleep(0.5)
    if waiting:
        raise AirflowLocalError(f"Celery worker(s) {', '.join(map(worker_name, waiting))} not ready; logs in {logs}")


def is_running(settings: Settings) -> bool:
    path = _pgid_file(settings)
    return path.exists() and _group_alive(int(path.read_text()))


def _wait_healthy(url: str, logs: Path, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as resp:
                health = json.loads(resp.read())
                if health.get("scheduler", {}).get("status") == "healthy":
                    return
                last = json.dumps(health)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(1)
    raise AirflowLocalError(f"Airflow did not become healthy at {url} ({last}); logs in {logs}")


def start(settings: Settings, *, port: int | None = None, database: str = METADATA_DB,
          schedule: bool = True, executor: str = "local", workers: int = 2) -> AirflowInfo:
    """Start the local Airflow (idempotent: a running one is reused) and return how to log in.

    `schedule=False` turns off timetable and asset scheduling (manual runs and backfills only),
    which the end-to-end tests use so that no run starts on its own. `executor="celery"`: Redis and
    `workers` Celery workers too (see the module's docstring)."""
    if executor not in EXECUTORS:
        raise AirflowLocalError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if executor == "celery" and workers < 1:
        raise AirflowLocalError("--workers must be at least 1")
    air = home(settings)
    air.mkdir(parents=True, exist_ok=True)
    logs = air / "logs"
    logs.mkdir(exist_ok=True)
    password = _password(settings)
    if is_running(settings) and (known := _api_port(settings)):
        return AirflowInfo(f"http://127.0.0.1:{known}", USERNAME, password)
    port = port or free_port(8080)
    if port is None:
        raise AirflowLocalError("no free TCP port for the Airflow API server; pass --port")
    started = time.monotonic()
    pgid, redis_port = 0, None
    if executor == "celery":
        redis, redis_port = _start_redis(settings, logs)
        pgid = redis.pid
        _pgid_file(settings).write_text(str(pgid))
    (air / "executor").write_text(executor)
    try:
        return _start_airflow(settings, air, logs, port, password, pgid, started,
                              {**os.environ, **environment(settings, port, database, schedule, executor, redis_port)},
                              workers if executor == "celery" else 0)
    except BaseException:
        stop(settings)
        raise


def _start_airflow(settings: Settings, air: Path, logs: Path, port: int, password: str, pgid: int,
                   started: float, env: dict[str, str], workers: int) -> AirflowInfo:
    write_local_settings(settings)
    migrate = subprocess.run([_airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True)
    (logs / "db-migrate.log").write_text(migrate.stdout + migrate.stderr)
    if migrate.returncode != 0:
        raise AirflowLocalError(f"airflow db migrate failed; see {logs / 'db-migrate.log'}:\n"
                                f"{migrate.stderr[-2000:]}")
    commands = [([_airflow_bin(), component], component, {}) for component in COMPONENTS]
    commands += [([_airflow_bin(), "celery", "worker", "--celery-hostname", f"{worker_name(n)}@%h",
                   "--queues", f"default,{worker_queue(n)}", "--concurrency", str(WORKER_CONCURRENCY),
                   "--pid", str(air / f"{worker_name(n)}.pid"), "--skip-serve-logs", "--without-gossip",
                   "--without-mingle"], worker_name(n), worker_environment(n)) for n in range(1, workers + 1)]
    offsets = {n: _log_size(logs / f"{worker_name(n)}.log") for n in range(1, workers + 1)}
    for argv, name, extra in commands:
        with open(logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(argv, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, process_group=pgid, cwd=air)
        if not pgid:
            pgid = proc.pid
            _pgid_file(settings).write_text(str(pgid))
    (air / "api.port").write_text(str(port))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    _wait_healthy(url, logs, deadline)
    _wait_workers(logs, offsets, deadline)
    (air / "startup.seconds").write_text(f"{time.monotonic() - started:.1f}")
    return AirflowInfo(url, USERNAME, password)


def stop(settings: Settings, timeout: float = 15) -> bool:
    """Stop the local Airflow's process group (TERM, then KILL after `timeout`). False if not running."""
    path = _pgid_file(settings)
    if not path.exists():
        return False
    pgid = int(path.read_text())
    running = _group_alive(pgid)
    if running:
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.devtools.airflow_local",
                                     description="Start or stop a local Airflow 3 for the NTM DAGs.")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--port", type=int, default=None, help="API/UI port (default: first free from 8080)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local (LocalExecutor, the default) or celery (Redis and Celery workers)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers to start (default 2)")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "start":
        try:
            info = start(settings, port=args.port, executor=args.executor, workers=args.workers)
        except AirflowLocalError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        seconds = home(settings) / "startup.seconds"
        workers = (f"\nCelery workers: {', '.join(worker_name(n) for n in range(1, args.workers + 1))} "
                   f"(queues default and ntm_worker_<n>)" if _executor(settings) == "celery" else "")
        print(f"Airflow UI and API: {info.url}\nuser: {info.username}\npassword: {info.password}{workers}\n"
              f"started in {seconds.read_text() if seconds.exists() else '?'} s\n"
              f"logs: {home(settings) / 'logs'}\nstop with: make airflow-stop")
        return 0
    if args.command == "stop":
        print("stopped" if stop(settings) else "not running")
        return 0
    running = is_running(settings)
    print(f"running at http://127.0.0.1:{_api_port(settings)} ({_executor(settings)} executor)"
          if running else "not running")
    return 0 if running else 1


if __name__ == "__main__":
    raise SystemExit(main())
