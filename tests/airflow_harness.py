"""A real local Airflow for end-to-end tests: started with ingest.devtools.airflow_local (api-server,
scheduler, dag-processor, triggerer on 127.0.0.1) against a test warehouse and its own metadata
database, driven through the REST API (`POST /auth/token`, then `/api/v2/...`)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ingest.config import environment, load_settings
from ingest.devtools import airflow_local

TERMINAL = {"success", "failed"}


@dataclass
class AirflowClient:
    url: str
    username: str
    password: str
    _token: str | None = field(default=None, repr=False)

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} -> HTTP {exc.code}: {exc.read().decode()[:2000]}") from exc
        return json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            self._token = self._request("POST", "/auth/token",
                                        {"username": self.username, "password": self.password},
                                        auth=False)["access_token"]
        return self._token

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, body)

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.get(f"/api/v2/dags/{dag_id}")
                return
            except AssertionError:
                time.sleep(1)
        errors = self.get("/api/v2/importErrors")
        raise AssertionError(f"DAG {dag_id} never appeared; import errors: {errors}")

    def unpause(self, dag_id: str) -> None:
        self.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.post(f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.request.quote(run_id, safe='')}")
            if run["state"] in TERMINAL:
                return run
            time.sleep(2)
        raise AssertionError(f"{dag_id} {run_id} did not finish in {timeout} s")

    def wait_for_runs(self, dag_id: str, count: int, timeout: float = 600) -> list[dict[str, Any]]:
        """Wait until `count` runs of `dag_id` (however they were created) are finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.get(f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=run_after")["dag_runs"]
            done = [r for r in runs if r["state"] in TERMINAL]
            if len(done) >= count:
                return done
            time.sleep(2)
        raise AssertionError(f"fewer than {count} finished runs of {dag_id} after {timeout} s")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.request.quote(run_id, safe='')}"
                       "/taskInstances?limit=100")["task_instances"]
        return {f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]: t["state"]
                for t in tis}

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        entry = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.request.quote(run_id, safe='')}"
                         f"/taskInstances/{task_id}/xcomEntries/return_value")
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) else value

    def clear(self, dag_id: str, run_id: str) -> None:
        """Clear every task of a DAG run (as the UI's "Clear" does): the run is queued again."""
        self.post(f"/api/v2/dags/{dag_id}/clearTaskInstances",
                  {"dry_run": False, "dag_run_id": run_id, "only_failed": False, "reset_dag_runs": True})

    def backfill(self, dag_id: str, from_date: str, to_date: str, reprocess: str = "none") -> dict[str, Any]:
        return self.post("/api/v2/backfills", {
            "dag_id": dag_id, "from_date": from_date, "to_date": to_date, "max_active_runs": 1,
            "reprocess_behavior": reprocess, "run_backwards": False, "dag_run_conf": {},
        })

    def wait_backfill(self, backfill_id: int, timeout: float = 900) -> list[dict[str, Any]]:
        """Wait until every run of the backfill is finished; returns its runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.get(f"/api/v2/backfills/{backfill_id}")
            runs = [r for r in self.get(f"/api/v2/dags/{info['dag_id']}/dagRuns?limit=100")["dag_runs"]
                    if r.get("run_type") == "backfill" and r.get("backfill_id") in (None, backfill_id)]
            if info.get("completed_at") and all(r["state"] in TERMINAL for r in runs):
                return runs
            time.sleep(3)
        raise AssertionError(f"backfill {backfill_id} did not finish in {timeout} s")


@dataclass
class LocalAirflow:
    """The started Airflow, its client, and what it was started with."""

    client: AirflowClient
    env: dict[str, str]
    metadata_db: str


@contextmanager
def local_airflow(state_dir: Path, database_url: str, inbox: Path, server_url: str,
                  schedule: bool = False) -> Iterator[LocalAirflow]:
    """Start Airflow for a test warehouse; stop it and drop its metadata database afterwards.
    `schedule=False`: no run starts on its own (manual runs and backfills only)."""
    metadata_db = f"airflow_e2e_{uuid.uuid4().hex[:8]}"
    env = {"NTM_STATE_DIR": str(state_dir), "NTM_DATABASE_URL": database_url, "NTM_INBOX": str(inbox),
           "NTM_NOTIFY_URL": "", "NTM_SMTP_TO": "",
           "NTM_TASK_RETRIES": "0"}  # a failing task fails the test now, not after backoff
    with environment(env):
        settings = load_settings()
        try:
            info = airflow_local.start(settings, database=metadata_db, schedule=schedule)
            yield LocalAirflow(AirflowClient(info.url, info.username, info.password), env, metadata_db)
        finally:
            airflow_local.stop(settings)
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{metadata_db}" WITH (FORCE)')
