"""The project's own private PostgreSQL cluster, used when NTM_DATABASE_URL is not set.

Data lives under `$NTM_STATE_DIR/pg` (git-ignored). As root the server runs as the `postgres`
OS user (PostgreSQL refuses to run as root). The cluster listens on localhost only, with trust
authentication: it is a development and test cluster, never a production one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.config import Settings

DB_NAME = "ntm"
SUPERUSER = "postgres"


class LocalDbError(RuntimeError):
    """The local cluster cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    run_dir: Path
    log_file: Path
    port_file: Path

    @classmethod
    def of(cls, settings: Settings) -> Cluster:
        base = settings.pg_dir
        return cls(base / "data", base / "run", base / "server.log", base / "port")


def bin_dir() -> Path:
    """The directory of the PostgreSQL server binaries (initdb, pg_ctl)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for cand in reversed(candidates):
        if (cand / "pg_ctl").exists():
            return cand
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise LocalDbError(
        "PostgreSQL server binaries not found. Run `make setup` (installs the `postgresql` package) "
        "or set NTM_DATABASE_URL to an existing database."
    )


def _is_root() -> bool:
    return os.geteuid() == 0


def _run_as_owner(args: list[str], **kw) -> subprocess.CompletedProcess:
    cmd = ["runuser", "-u", "postgres", "--", *args] if _is_root() else args
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def _make_traversable(path: Path) -> None:
    """As root, the postgres user must reach the data directory: add the traverse bit where missing."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def free_port(start: int) -> int | None:
    """The first TCP port from `start` that nobody listens on at 127.0.0.1 (None: none free)."""
    for port in range(start, start + 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    return None


def _port(cluster: Cluster) -> int | None:
    return int(cluster.port_file.read_text()) if cluster.port_file.exists() else None


def url(settings: Settings) -> str:
    port = _port(Cluster.of(settings))
    if port is None:
        raise LocalDbError("the local cluster has never been started: run `ntm db start`")
    return f"postgresql://{SUPERUSER}@localhost:{port}/{DB_NAME}"


def is_running(settings: Settings) -> bool:
    cluster = Cluster.of(settings)
    if not (cluster.data_dir / "PG_VERSION").exists():
        return False
    res = _run_as_owner([str(bin_dir() / "pg_ctl"), "-D", str(cluster.data_dir), "status"])
    return res.returncode == 0


def _init(cluster: Cluster) -> None:
    cluster.data_dir.mkdir(parents=True, exist_ok=True)
    cluster.run_dir.mkdir(parents=True, exist_ok=True)
    if _is_root():
        _make_traversable(cluster.data_dir.parent)
        shutil.chown(cluster.data_dir.parent, "postgres")
        for p in (cluster.data_dir, cluster.run_dir):
            shutil.chown(p, "postgres")
        cluster.data_dir.chmod(0o700)
    res = _run_as_owner(
        [str(bin_dir() / "initdb"), "-D", str(cluster.data_dir), "-U", SUPERUSER,
         "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]
    )
    if res.returncode != 0:
        raise LocalDbError(f"initdb failed:\n{res.stderr}")


def start(settings: Settings) -> str:
    """Start the local cluster (initialising it the first time) and return its URL. Idempotent."""
    cluster = Cluster.of(settings)
    if not (cluster.data_dir / "PG_VERSION").exists():
        _init(cluster)
    if is_running(settings):
        return url(settings)
    if _is_root():
        _make_traversable(cluster.data_dir.parent)
    port = settings.pg_port or free_port(54329)
    if port is None:
        raise LocalDbError("no free TCP port for the local PostgreSQL; set NTM_PG_PORT")
    cluster.port_file.write_text(str(port))
    opts = (
        f"-p {port} -k {cluster.run_dir} -c listen_addresses=localhost "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200 -c shared_buffers=256MB"
    )
    if _is_root():
        cluster.log_file.touch()
        shutil.chown(cluster.log_file, "postgres")
    res = _run_as_owner(
        [str(bin_dir() / "pg_ctl"), "-D", str(cluster.data_dir), "-l", str(cluster.log_file),
         "-o", opts, "-w", "-t", "60", "start"]
    )
    if res.returncode != 0:
        tail = cluster.log_file.read_text()[-2000:] if cluster.log_file.exists() else ""
        raise LocalDbError(f"could not start PostgreSQL:\n{res.stderr}\n{tail}")
    _ensure_database(cluster, port)
    return url(settings)


def _ensure_database(cluster: Cluster, port: int) -> None:
    psql = [str(bin_dir() / "psql"), "-h", "localhost", "-p", str(port), "-U", SUPERUSER, "-d", "postgres",
            "-tAc"]
    for _ in range(50):
        res = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
                             capture_output=True, text=True)
        if res.returncode == 0:
            break
        time.sleep(0.1)
    if res.stdout.strip() != "1":
        subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True, capture_output=True)


def stop(settings: Settings) -> bool:
    cluster = Cluster.of(settings)
    if not is_running(settings):
        return False
    _run_as_owner([str(bin_dir() / "pg_ctl"), "-D", str(cluster.data_dir), "-m", "fast", "-w", "stop"])
    return True


def resolve_url(settings: Settings, explicit: str | None = None) -> str:
    """The database URL to use: explicit > NTM_DATABASE_URL > the local cluster (started on demand)."""
    if explicit:
        return explicit
    if settings.database_url:
        return settings.database_url
    return start(settings)
