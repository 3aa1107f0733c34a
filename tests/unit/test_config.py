"""The settings: defaults, environment values, clear errors, and the documents kept in step with them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ingest.config as config
from ingest.cli.main import main
from ingest.config import ConfigError, Settings, configuration_table, load_settings, variable

ROOT = Path(__file__).resolve().parents[2]
# Variables of the deployment files that are not settings of the code (docker compose reads them).
COMPOSE_ONLY = {"NTM_DB_PASSWORD", "NTM_IMAGE"}


def test_defaults_as_documented(clean_env) -> None:
    s = load_settings()
    assert s.home == config.PROJECT_ROOT and s.state_dir == s.home / ".ntm"
    assert s.archive_dir == s.state_dir / "archive" and s.inbox == str(s.state_dir / "inbox")
    assert s.archive_url == str(s.archive_dir)                  # the archive folder unless a URL is given
    assert s.data_docs_dir == s.state_dir / "data_docs" and s.pg_dir == s.state_dir / "pg"
    assert s.dbt_project_dir == s.home / "dbt_project" and s.expectations_dir == s.home / "expectations"
    assert s.database_url is None and s.pg_port is None and s.notify_url is None and s.smtp_to is None
    assert (s.max_file_bytes, s.max_rows, s.max_zip_entries, s.max_zip_ratio) == (50 * 2**20, 200_000, 50, 200)
    assert s.provinces is None
    assert (s.deadline_hours, s.catchup, s.max_batches, s.min_batch, s.task_retries) == (6, False, 3, 25, 3)
    assert s.dbt_mode == "task" and s.dbt_executable == Path(sys.executable).with_name("dbt")


def test_values_come_from_the_environment(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("NTM_HOME", str(tmp_path / "home"))
    clean_env.setenv("NTM_ARCHIVE_DIR", "~/archive")
    clean_env.setenv("NTM_INBOX", "s3://bucket/inbox")
    clean_env.setenv("NTM_MAX_FILE_MB", "0.5")
    clean_env.setenv("NTM_PROVINCES", "1, 27,27")
    clean_env.setenv("NTM_CATCHUP", "TRUE")
    clean_env.setenv("NTM_DBT_MODE", " Cosmos ")
    clean_env.setenv("NTM_PG_PORT", "")  # empty = unset
    clean_env.setenv("PGPASSWORD", "S3cretOnlyInTests")
    s = load_settings()
    assert s.state_dir == tmp_path / "home" / ".ntm"           # derived from NTM_HOME
    assert s.archive_dir == Path("~/archive").expanduser()      # paths expanded and absolute
    assert s.archive_url == str(s.archive_dir)                  # follows NTM_ARCHIVE_DIR
    assert s.inbox == "s3://bucket/inbox" and s.max_file_bytes == 512 * 1024
    assert s.provinces == ("01", "27") and s.catchup is True and s.dbt_mode == "cosmos" and s.pg_port is None
    assert "S3cretOnlyInTests" not in repr(s) and s.pgpassword.get_secret_value() == "S3cretOnlyInTests"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("NTM_PG_PORT", "abc", "valid integer"),
    ("NTM_PG_PORT", "70000", "less than or equal to 65535"),
    ("NTM_MAX_ROWS", "0", "greater than 0"),
    ("NTM_CATCHUP", "sometimes", "valid boolean"),
    ("NTM_DBT_MODE", "both", "must be 'task' or 'cosmos'"),
    ("NTM_PROVINCES", "bac ninh", "comma-separated GSO province codes"),
    ("NTM_TASK_RETRIES", "-1", "greater than or equal to 0"),
    ("NTM_ARCHIVE_URL", "gs://bucket/archive", "a folder, a file:// URL or an s3:// URL"),
    ("NTM_ARCHIVE_URL", "s3://", "names a bucket"),
    ("NTM_INBOX", "ftp://host/inbox", "a folder, a file:// URL or an s3:// URL"),
    ("NTM_TASK_QUEUES", "validate", "task_id=queue pairs"),
    ("NTM_TASK_QUEUES", "load=bad queue", "task_id=queue pairs"),
])
def test_a_bad_value_names_the_variable_and_what_it_expects(clean_env, name, value, expected) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(f"{name}={value!r}")) as err:
        load_settings()
    assert expected in str(err.value)


def test_task_queues_are_routes(clean_env) -> None:
    assert load_settings().queue_routes == {}
    clean_env.setenv("NTM_TASK_QUEUES", " validate=ntm_worker_1, load=ntm_worker_2,")
    assert load_settings().queue_routes == {"validate": "ntm_worker_1", "load": "ntm_worker_2"}


def test_the_cli_reports_a_bad_setting_as_a_configuration_error(clean_env, capsys) -> None:
    clean_env.setenv("NTM_PG_PORT", "abc")
    assert main(["db", "status"]) == 2
    assert "NTM_PG_PORT='abc'" in capsys.readouterr().err


def test_the_docstring_and_readme_hold_the_generated_table() -> None:
    table = configuration_table()
    assert all(f"`{variable(name)}`" in table for name in Settings.model_fields)
    assert table in (config.__doc__ or ""), "regenerate the table in ingest/config.py: python -m ingest.config"
    assert table in (ROOT / "README.md").read_text(encoding="utf-8"), "regenerate README's table: python -m ingest.config"


def _names(text: str) -> set[str]:
    return set(re.findall(r"\b(NTM_[A-Z_]+)\b", text))


def test_deployment_files_name_only_settings_that_exist() -> None:
    known = {variable(name) for name in Settings.model_fields} | COMPOSE_ONLY
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert _names(example) - known == set()
    assert _names(compose) - known == set()
    # a setting offered in .env.example reaches the containers only if the compose file passes it on
    offered = {m for m in re.findall(r"^#?\s*(NTM_[A-Z_]+)=", example, re.M)} - COMPOSE_ONLY
    assert {n for n in offered if "${" + n not in compose} == set()


def test_the_example_values_are_valid(clean_env) -> None:
    values = Settings(_env_file=ROOT / ".env.example")
    assert values.dbt_mode == "task" and values.provinces is None


def test_reading_the_settings_imports_no_heavy_library() -> None:
    code = ("import sys, ingest.config as c; c.load_settings(); "
            "print(sorted(m for m in ('pandas', 'psycopg', 'great_expectations', 'dbt', 'airflow', 'sqlalchemy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


DAG_KNOBS = """
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]))
dag = bag.dags.get("ntm_monthly")
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}} if dag is None else {
    "catchup": dag.catchup, "retries": dag.get_task("begin").retries,
    "deadline_hours": dag.deadline[0].interval.total_seconds() / 3600}))
"""


def _parse_monthly_dag(tmp_path: Path, **env: str) -> dict[str, Any]:
    environ = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), **env}
    res = subprocess.run([sys.executable, "-c", DAG_KNOBS, str(ROOT / "dags")], capture_output=True, text=True,
                         env=environ, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_dags_take_their_knobs_from_the_settings(tmp_path: Path) -> None:
    parsed = _parse_monthly_dag(tmp_path, NTM_CATCHUP="true", NTM_TASK_RETRIES="5", NTM_DEADLINE_HOURS="2")
    assert parsed == {"catchup": True, "retries": 5, "deadline_hours": 2.0}
    broken = _parse_monthly_dag(tmp_path, NTM_DEADLINE_HOURS="six")
    assert "NTM_DEADLINE_HOURS='six'" in json.dumps(broken["errors"])
