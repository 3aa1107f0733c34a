"""The project's own private PostgreSQL cluster, used when NTM_DATABASE_URL is not set.

Data lives under `$NTM_STATE_DIR/pg` (git-ignored). As root the server runs as the `postgres`
OS user (PostgreSQL refuses to run as root). The cluster listens on localhost only. TCP
connections need a password (scram-sha-256) for every role, the owner's included; only the
owner's own Unix-socket connection (the socket lives under the state folder) is trusted. The
owner's password is generated on first start and kept in `$NTM_STATE_DIR/pg/owner_password`
(mode 0600, never in the repository); `url()` carries it, so every tool that takes a URL (dbt,
Great Expectations, Airflow) works unchanged. It is a development and test cluster, never a
production one.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.config import Settings

DB_NAME = "ntm"
SUPERUSER = "postgres"

# pg_hba.conf of the local cluster, rewritten on every start (older clusters were initialised with
# trust for everything): TCP only with scram-sha-256 passwords; the socket for the owner only.
HBA = f"""# Written by ingest.store.localdb on every start; edits are overwritten.
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all  {SUPERUSER}  trust
local   all  all  reject
host    all  all  127.0.0.1/32  scram-sha-256
host    all  all  ::1/128  scram-sha-256
"""


class LocalDbError(RuntimeError):
    """The local cluster cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    run_dir: Path
    log_file: Path
    port_file: Path
    password_file: Path

    @classmethod
    def of(cls, settings: Settings) -> Cluster:
        base = settings.pg_dir
        return cls(base / "data", base / "run", base / "server.log", base / "port", base / "owner_password")


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


def _owner_password(cluster: Cluster) -> str:
    """The owner's password, generated once and kept (0600) beside the cluster."""
    if not cluster.password_file.exists():
        cluster.password_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(cluster.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    return cluster.password_file.read_text().strip()


def url(settings: Settings) -> str:
    cluster = Cluster.of(settings)
    port = _port(cluster)
    if port is None:
        raise LocalDbError("the local cluster has never been started: run `ntm db start`")
    credentials = f"{SUPERUSER}:{_owner_password(cluster)}"
    return f"postgresql://{credentials}@localhost:{port}/{DB_NAME}"


def masked(url: str) -> str:
    """The URL with its password replaced by *** (for what is printed)."""
    import re

    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", url)


def socket_psql(settings: Settings, database: str = DB_NAME) -> list[str]:
    """psql as the owner over the cluster's Unix socket (the one connection without a password)."""
    cluster = Cluster.of(settings)
    return _socket_psql(cluster, _port(cluster) or 0, database)


def _socket_psql(cluster: Cluster, port: int, database: str) -> list[str]:
    return [str(bin_dir() / "psql"), "-h", str(cluster.run_dir), "-p", str(port), "-U", SUPERUSER,
            "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc"]


def _write_hba(cluster: Cluster) -> bool:
    """Write pg_hba.conf when it differs; True when it changed (a running server must reload)."""
    hba = cluster.data_dir / "pg_hba.conf"
    if hba.exists() and hba.read_text() == HBA:
        return False
    hba.write_text(HBA)
    if _is_root():
        shutil.chown(hba, "postgres")
    hba.chmod(0o600)
    return True


def _set_owner_password(cluster: Cluster, port: int) -> None:
    """Give the owner its password (scram-sha-256), over the socket. Idempotent."""
    password = _owner_password(cluster).replace("'", "''")
    res = subprocess.run(
        [*_socket_psql(cluster, port, "postgres"),
         f"SET password_encryption = 'scram-sha-256'; ALTER ROLE {SUPERUSER} PASSWORD '{password}'"],
        capture_output=True, text=True)
    if res.returncode != 0:
        raise LocalDbError(f"could not set the owner's password:\n{res.stderr}")


def _secure_running(cluster: Cluster) -> None:
    """A cluster started by an older version (trust on TCP): rewrite pg_hba.conf and reload."""
    if _write_hba(cluster) or not cluster.password_file.exists():
        port = _port(cluster) or 0
        _set_owner_password(cluster, port)
        _run_as_owner([str(bin_dir() / "pg_ctl"), "-D", str(cluster.data_dir), "reload"])


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


# One start at a time on this machine: two processes starting the same cluster at once would both
# run initdb or pg_ctl, and two clusters starting at once (test workers) would pick the same port.
START_LOCK = Path(tempfile.gettempdir()) / "ntm-localdb-start.lock"


def start(settings: Settings) -> str:
    """Start the local cluster (initialising it the first time) and return its URL. Idempotent, and
    safe when several processes start clusters at the same time (START_LOCK)."""
    START_LOCK.touch(mode=0o666, exist_ok=True)
    with START_LOCK.open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start(settings)


def _start(settings: Settings) -> str:
    cluster = Cluster.of(settings)
    if not (cluster.data_dir / "PG_VERSION").exists():
        _init(cluster)
    if is_running(settings):
        _secure_running(cluster)
        return url(settings)
    if _is_root():
        _make_traversable(cluster.data_dir.parent)
    _write_hba(cluster)
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
    _set_owner_password(cluster, port)
    return url(settings)


def _ensure_database(cluster: Cluster, port: int) -> None:
    psql = _socket_psql(cluster, port, "postgres")
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
