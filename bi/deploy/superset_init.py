"""One-shot init of the deployment's Superset (docker-compose.yml, profile `bi`), run by the
`superset-init` service inside the official image (Python, psycopg2 and the `superset` CLI there).

Idempotent: the `superset` metadata database and its owner on the compose PostgreSQL; the
warehouse login `bi_superset` (member of ntm_bi_reader: never a superuser, never the loader);
`superset db upgrade`, the admin, `superset init`; the dashboards as code from /app/ntm_dashboards
(the repository's bi/dashboards), imported with the reader's connection. Secrets from the
environment (.env), never from files in the image.
"""

import io
import os
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import psycopg2
import yaml

DASHBOARDS = Path("/app/ntm_dashboards")
DATABASE_NAME = "Kho dữ liệu NTM (marts)"


def _connect(dbname: str):
    conn = psycopg2.connect(host=os.environ.get("PGHOST", "postgres"), user="postgres",
                            password=os.environ["POSTGRES_PASSWORD"], dbname=dbname)
    conn.autocommit = True
    return conn


def _ensure_role(cur, name: str, password: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    verb = "ALTER" if cur.fetchone() else "CREATE"
    cur.execute(f'{verb} ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %s', (password,))


def databases() -> str:
    with _connect("postgres") as conn, conn.cursor() as cur:
        _ensure_role(cur, "superset", os.environ["SUPERSET_DB_PASSWORD"])
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'superset'")
        if not cur.fetchone():
            cur.execute("CREATE DATABASE superset OWNER superset")
    reader_password = os.environ["SUPERSET_READER_PASSWORD"]
    with _connect("ntm") as conn, conn.cursor() as cur:
        _ensure_role(cur, "bi_superset", reader_password)
        cur.execute("GRANT ntm_bi_reader TO bi_superset")
    return f"postgresql+psycopg2://bi_superset:{quote(reader_password, safe='')}@postgres:5432/ntm"


def bundle(kind: str, folders: tuple[str, ...], connection: str) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ntm/metadata.yaml", yaml.safe_dump({"version": "1.0.0", "type": kind,
                                                        "timestamp": "2026-12-01T00:00:00+00:00"}))
        for folder in folders:
            for f in sorted((DASHBOARDS / folder).rglob("*.yaml")):
                text = f.read_text(encoding="utf-8")
                if folder == "databases":
                    text = yaml.safe_dump(yaml.safe_load(text) | {"sqlalchemy_uri": connection}, allow_unicode=True)
                z.writestr(f"ntm/{f.relative_to(DASHBOARDS)}", text)
    path = f"/tmp/ntm_{kind.lower()}.zip"
    Path(path).write_bytes(buf.getvalue())
    return path


def superset(*args: str, check: bool = True) -> None:
    subprocess.run(["superset", *args], check=check)


def main() -> None:
    connection = databases()
    superset("db", "upgrade")
    superset("fab", "create-admin", "--username", os.environ.get("SUPERSET_ADMIN_USER", "admin"),
             "--firstname", "Quản trị", "--lastname", "NTM", "--email", "admin@localhost",
             "--password", os.environ["SUPERSET_ADMIN_PASSWORD"], check=False)  # exists: left as it is
    superset("init")
    user = os.environ.get("SUPERSET_ADMIN_USER", "admin")
    superset("import-datasources", "-p", bundle("SqlaTable", ("databases", "datasets"), connection), "-u", user)
    superset("import-dashboards", "-p", bundle("Dashboard", ("databases", "datasets", "charts", "dashboards"),
                                                 connection), "-u", user)
    superset("set-database-uri", "-d", DATABASE_NAME, "-u", connection)
    for p in Path("/tmp").glob("ntm_*.zip"):
        p.unlink()


if __name__ == "__main__":
    main()
