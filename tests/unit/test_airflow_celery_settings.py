"""The local launcher's Celery pieces that need no running Airflow: the generated
airflow_local_settings (the cluster policy that routes tasks to queues only when NTM_TASK_QUEUES
asks for it, each worker's name as its hostname), the workers' names and queues, bad arguments."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest

from ingest.config import load_settings
from ingest.devtools import airflow_local


@pytest.fixture
def local_settings(clean_env, tmp_path):
    clean_env.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    path = airflow_local.write_local_settings(load_settings())
    spec = importlib.util.spec_from_file_location("ntm_test_airflow_local_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_policy_routes_tasks_only_when_asked(local_settings, clean_env) -> None:
    validate, load, close = (SimpleNamespace(task_id=t, queue="default") for t in ("validate", "load", "close_month"))
    local_settings.task_policy(validate)
    assert validate.queue == "default"                     # no NTM_TASK_QUEUES: nothing changes
    clean_env.setenv("NTM_TASK_QUEUES", "validate=ntm_worker_1,load=ntm_worker_2")
    for task in (validate, load, close):
        local_settings.task_policy(task)
    assert (validate.queue, load.queue, close.queue) == ("ntm_worker_1", "ntm_worker_2", "default")


def test_each_worker_reports_its_own_name(local_settings, monkeypatch) -> None:
    monkeypatch.setenv("NTM_WORKER_NAME", "ntm-worker-2")
    assert local_settings.worker_hostname() == "ntm-worker-2"
    monkeypatch.delenv("NTM_WORKER_NAME")
    assert local_settings.worker_hostname()                 # the host's own name otherwise


def test_workers_have_names_queues_and_a_hostname_callable() -> None:
    assert [airflow_local.worker_name(n) for n in (1, 2)] == ["ntm-worker-1", "ntm-worker-2"]
    assert airflow_local.worker_queue(2) == "ntm_worker_2"
    env = airflow_local.worker_environment(1)
    assert env["NTM_WORKER_NAME"] == "ntm-worker-1"
    assert env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "airflow_local_settings.worker_hostname"


def test_bad_launcher_arguments_are_refused(clean_env, tmp_path, monkeypatch, capsys) -> None:
    clean_env.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    with pytest.raises(SystemExit) as exc:
        airflow_local.main(["start", "--executor", "kubernetes"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(airflow_local.AirflowLocalError, match="at least 1"):
        airflow_local.start(load_settings(), executor="celery", workers=0)
    monkeypatch.setattr(airflow_local.shutil, "which", lambda _name: None)
    monkeypatch.setattr(airflow_local.Path, "exists", lambda _self: False)
    with pytest.raises(airflow_local.AirflowLocalError, match="apt-get install redis-server"):
        airflow_local.redis_binary()
