"""A local Apache Superset on the marts (`make bi` / `make bi-stop`, issue 16).

`start(settings)`:

- runs Superset from its own locked environment `bi/.venv` (installed by `make bi` only: its
  dependencies conflict with Airflow's), configured by `bi/superset_config.py`;
- keeps its state under `$NTM_STATE_DIR/superset`: the SQLite metadata database, the secret key,
  the admin password (generated once, printed the first time only) and the log;
- connects to the warehouse through the login `bi_superset`, a member of `ntm_bi_reader` (never
  a superuser, never the loader), whose password is generated once and kept there too;
- imports the dashboards as code from `bi/dashboards/` (Superset's export format; datasets,
  charts and dashboards each overwritten, by `bi/import_code.py`), then starts
  the web server on 127.0.0.1 at the first free port from 8088 in a process group of its own.

Re-running it is safe: a running Superset is left running (the dashboards are imported again;
the metadata steps already done are skipped).
`stop(settings)` ends its process group. `python -m ingest.devtools.superset_local start|stop|status`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml
from psycopg.conninfo import conninfo_to_dict

from ingest.config import PROJECT_ROOT, Settings, load_settings
from ingest.store.db import ensure_ready
from ingest.store.localdb import free_port, resolve_url
from ingest.store.logins import ensure_login

ADMIN = "admin"
READER = "bi_superset"
FIRST_PORT = 8088
START_TIMEOUT_S = 240
BI_DIR = PROJECT_ROOT / "bi"
DASHBOARDS_DIR = BI_DIR / "dashboards"
DATABASE_NAME = "Kho dữ liệu NTM (marts)"


class SupersetLocalError(RuntimeError):
    """Superset could not be set up or started; the message says what to do or where to look."""


@dataclass(frozen=True)
class SupersetInfo:
    url: str
    username: str
    password: str
    new_password: bool  # True the first time: the launcher prints it then only
    dashboards: dict[str, str]  # title → URL
    started: bool  # False: it was running already
    setup_s: float = 0.0  # metadata upgrade, admin, roles, connection and dashboard import
    server_s: float = 0.0  # from starting the web server to its /health answering (0: it was running)
    steps: tuple[str, ...] = ()  # the `superset` commands the set-up ran (a re-run skips what is done)


def home(settings: Settings) -> Path:
    return settings.state_dir / "superset"


def _venv_bin(name: str) -> Path:
    return BI_DIR / ".venv" / "bin" / name


def _secret(path: Path) -> tuple[str, bool]:
    """A secret kept in the state folder (mode 600), made once; (value, made now)."""
    made = not path.exists()
    if made:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    return path.read_text().strip(), made


def _env(settings: Settings) -> dict[str, str]:
    base = home(settings)
    key, _ = _secret(base / "secret_key")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NTM_", "PG"))}
    env.update({"SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"), "NTM_SUPERSET_HOME": str(base),
                "SUPERSET_SECRET_KEY": key, "FLASK_APP": "superset.app:create_app()",
                "SUPERSET_LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _superset(settings: Settings, *args: str, timeout: float = 300, program: str = "superset") -> str:
    """`superset ARGS...` (or `python ARGS...` with program="python") in bi/.venv."""
    res = subprocess.run([str(_venv_bin(program)), *args], env=_env(settings), capture_output=True,
                         text=True, timeout=timeout, cwd=home(settings))
    if res.returncode != 0:
        raise SupersetLocalError(f"`{program} {args[0]}` failed:\n{res.stdout[-1500:]}\n{res.stderr[-3000:]}")
    return res.stdout


def reader_url(settings: Settings, warehouse_url: str, reader: str = READER) -> str:
    """The SQLAlchemy URL through which Superset reads the marts: the login `reader` (made or
    brought up to date here, member of ntm_bi_reader) with its kept password."""
    password, _ = _secret(home(settings) / "reader_password")
    ensure_login(warehouse_url, reader, "bi_reader", password)
    info = conninfo_to_dict(warehouse_url)
    host = info.get("host") or "localhost"
    return (f"postgresql+psycopg2://{reader}:{quote(password, safe='')}@{host}:{info.get('port') or 5432}"
            f"/{info['dbname']}")


def _bundles(out: Path, connection: str) -> tuple[Path, Path, Path]:
    """Three zips in Superset's export format from bi/dashboards/: datasets (with the database),
    charts and dashboards (each with what they use). The database file gets the reader's real connection URL (the
    repository's has a masked password); the zips live in a temporary folder of the state folder."""
    def write(name: str, kind: str, folders: tuple[str, ...]) -> Path:
        path = out / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(f"{name}/metadata.yaml", yaml.safe_dump(
                {"version": "1.0.0", "type": kind, "timestamp": "2026-12-01T00:00:00+00:00"}))
            for folder in folders:
                for f in sorted((DASHBOARDS_DIR / folder).rglob("*.yaml")):
                    text = f.read_text(encoding="utf-8")
                    if folder == "databases":
                        text = yaml.safe_dump(yaml.safe_load(text) | {"sqlalchemy_uri": connection},
                                              allow_unicode=True, sort_keys=False)
                    z.writestr(f"{name}/{f.relative_to(DASHBOARDS_DIR)}", text)
        return path

    return (write("ntm_datasets", "SqlaTable", ("databases", "datasets")),
            write("ntm_charts", "Slice", ("databases", "datasets", "charts")),
            write("ntm_dashboards", "Dashboard", ("databases", "datasets", "charts", "dashboards")))


def _pid(settings: Settings) -> int | None:
    f = home(settings) / "superset.pid"
    if not f.exists():
        return None
    pid = int(f.read_text())
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    return pid


def _port(settings: Settings) -> int | None:
    f = home(settings) / "port"
    return int(f.read_text()) if f.exists() else None


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def dashboard_urls(url: str) -> dict[str, str]:
    out = {}
    for f in sorted((DASHBOARDS_DIR / "dashboards").glob("*.yaml")):
        d = yaml.safe_load(f.read_text(encoding="utf-8"))
        out[d["dashboard_title"]] = f"{url}/superset/dashboard/{d['slug']}/"
    return out


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _done(marker: Path, key: str) -> bool:
    return marker.exists() and marker.read_text() == key


def setup(settings: Settings, warehouse_url: str, reader: str = READER) -> tuple[str, bool, tuple[str, ...]]:
    """Metadata database, admin, roles, the warehouse connection and the dashboards. Idempotent.
    Returns the admin password, whether it was made now and the `superset` commands run.

    Each `superset` command pays the start of the whole application (20 s on a loaded 2-core
    machine), so a re-run skips what is already done: the metadata steps (upgrade, admin, roles)
    while the metadata database exists and the locked Superset and its configuration are the
    ones they ran with, and the connection update while the connection is unchanged. The
    dashboards are imported every time (an edit in the UI is put back to the code's)."""
    base = home(settings)
    base.mkdir(parents=True, exist_ok=True)
    if not _venv_bin("superset").exists():
        raise SupersetLocalError("the BI environment is not installed: run `make bi` (it installs bi/.venv)")
    ensure_ready(warehouse_url)  # the reader roles and the row-level security (migration 0020)
    password, made = _secret(base / "admin_password")
    steps: list[str] = []

    def run(*args: str, program: str = "superset", step: str = "") -> None:
        _superset(settings, *args, program=program)
        steps.append(step or " ".join(args[:2] if args[0] in ("db", "fab") else args[:1]))

    metadata_key = _digest((BI_DIR / "uv.lock").read_bytes(), (BI_DIR / "superset_config.py").read_bytes())
    if not ((base / "superset.db").exists() and _done(base / "metadata_ready", metadata_key)):
        (base / "connection_ready").unlink(missing_ok=True)
        run("db", "upgrade")
        # an existing admin is left as it is ("already exists", exit 0)
        run("fab", "create-admin", "--username", ADMIN, "--firstname", "Quản trị",
                  "--lastname", "NTM", "--email", "admin@localhost", "--password", password)
        run("init")
        (base / "metadata_ready").write_text(metadata_key)
    connection = reader_url(settings, warehouse_url, reader)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        # datasets, charts and dashboards, each overwritten (superset import-dashboards leaves
        # existing charts as they are), in one start of Superset: bi/import_code.py
        run(str(BI_DIR / "import_code.py"), ADMIN, *map(str, _bundles(Path(tmp), connection)), program="python",
            step="import")
    # imports never overwrite an existing connection: bring it up to date (port, password)
    connection_key = _digest(connection.encode())
    if not _done(base / "connection_ready", connection_key):
        run("set-database-uri", "-d", DATABASE_NAME, "-u", connection)
        (base / "connection_ready").write_text(connection_key)
    return password, made, tuple(steps)


def start(settings: Settings | None = None, warehouse_url: str | None = None,
          reader: str = READER) -> SupersetInfo:
    """Set up (idempotent) and start Superset unless it runs already; `reader`: the warehouse
    login it connects through (the tests use their own, roles being cluster-wide)."""
    settings = settings or load_settings()
    warehouse_url = warehouse_url or resolve_url(settings)
    base = home(settings)
    t0 = time.monotonic()
    password, made, steps = setup(settings, warehouse_url, reader)
    setup_s = time.monotonic() - t0
    port = _port(settings)
    if _pid(settings) and port and healthy(f"http://127.0.0.1:{port}"):
        url = f"http://127.0.0.1:{port}"
        return SupersetInfo(url, ADMIN, password, made, dashboard_urls(url), started=False, setup_s=setup_s,
                            steps=steps)
    port = free_port(FIRST_PORT)
    if port is None:
        raise SupersetLocalError(f"no free TCP port from {FIRST_PORT}")
    (base / "port").write_text(str(port))
    log = open(base / "superset.log", "ab")  # noqa: SIM115 (the server's own log, kept open by it)
    proc = subprocess.Popen(
        [str(_venv_bin("superset")), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
        env=_env(settings), cwd=base, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (base / "superset.pid").write_text(str(proc.pid))
    url = f"http://127.0.0.1:{port}"
    t1 = time.monotonic()
    deadline = t1 + START_TIMEOUT_S
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(settings)
            raise SupersetLocalError(f"Superset did not answer on {url}/health; see {base / 'superset.log'}")
        time.sleep(0.5)
    return SupersetInfo(url, ADMIN, password, made, dashboard_urls(url), started=True, setup_s=setup_s,
                        server_s=time.monotonic() - t1, steps=steps)


def stop(settings: Settings | None = None) -> bool:
    settings = settings or load_settings()
    pid = _pid(settings)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
    (home(settings) / "superset.pid").unlink(missing_ok=True)
    return True


def size_of_environment() -> int:
    """Bytes of bi/.venv (for the measurements)."""
    return sum(f.stat().st_size for f in (BI_DIR / ".venv").rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ingest.devtools.superset_local")
    p.add_argument("command", choices=["start", "stop", "status"])
    args = p.parse_args(argv)
    settings = load_settings()
    try:
        if args.command == "stop":
            print("Superset stopped" if stop(settings) else "Superset was not running")
            return 0
        if args.command == "status":
            port = _port(settings)
            up = bool(_pid(settings) and port and healthy(f"http://127.0.0.1:{port}"))
            print(f"Superset: running at http://127.0.0.1:{port}" if up else "Superset: not running")
            return 0 if up else 1
        t0 = time.monotonic()
        info = start(settings)
    except SupersetLocalError as exc:
        print(f"make bi: {exc}", file=sys.stderr)
        return 2
    print(f"Superset {'started' if info.started else 'already running'} at {info.url} "
          f"({time.monotonic() - t0:.0f} s: set-up and import {info.setup_s:.0f} s, server up {info.server_s:.0f} s);"
          f" warehouse login {READER} (member of ntm_bi_reader)")
    if info.new_password:
        print(f"admin login: {info.username} / {info.password}  (shown once; kept in {home(settings) / 'admin_password'})")
    else:
        print(f"admin login: {info.username} (password in {home(settings) / 'admin_password'})")
    for title, url in info.dashboards.items():
        print(f"  {title}: {url}")
    print("stop it with `make bi-stop`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
