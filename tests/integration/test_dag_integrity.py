"""The DAGs import cleanly, are documented and owned, retry with backoff, do no work at import,
and their small pure helpers (month of a run, batching, event parsing) and the notifier behave."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.config import load_settings
from tests.fixtures.dags import DAGS, PARSE, TRAP, _airflow_env, parse_dags

DAG_IDS = {"ntm_monthly", "ntm_rebuild", "ntm_raw_watch"}
HEAVY = ("pandas", "great_expectations", "dbt", "psycopg", "ingest.pipeline", "ingest.intake.reader", "openpyxl")


def test_dags_import_without_errors(parsed: dict) -> None:
    assert parsed["errors"] == {}
    assert set(parsed["dags"]) == DAG_IDS


def test_no_heavy_imports_or_work_at_parse_time(parsed: dict) -> None:
    # psycopg itself is imported by the trap; what matters is that no pipeline module came along
    loaded = [m for m in parsed["new_modules"] if m.split(".")[0] in {"pandas", "great_expectations", "dbt", "openpyxl"}
              or m in ("ingest.pipeline", "ingest.intake.reader", "ingest.quality.validate", "ingest.warehouse.build")]
    assert loaded == []


def test_every_dag_and_task_is_documented_owned_and_retried(parsed: dict) -> None:
    for dag_id, dag in parsed["dags"].items():
        assert dag["doc_md"] and "ntm" in dag["tags"], dag_id
        assert dag["max_active_runs"] == 1, dag_id
        for task_id, task in dag["tasks"].items():
            assert task["owner"] == "ntm-data", (dag_id, task_id)
            assert task["doc"], (dag_id, task_id)
            assert task["retries"] >= 1 and task["backoff"], (dag_id, task_id)


def test_monthly_dag_shape(parsed: dict) -> None:
    monthly = parsed["dags"]["ntm_monthly"]
    assert monthly["timetable"] == "CronDataIntervalTimetable"
    assert monthly["deadline"] == ["DeadlineAlert"]
    assert monthly["catchup"] is False
    tasks = monthly["tasks"]
    assert list(tasks) == ["begin", "discover", "receive", "validate", "load", "close_month", "all_districts_in", "finish"]
    assert tasks["receive"]["mapped"] and tasks["validate"]["mapped"] and not tasks["load"]["mapped"]
    assert {o for o in tasks["load"]["outlets"]} == {f"ntm.raw.{t}" for t in (
        "thong_tin", "tieu_chi_xa", "tieu_chi_xa_mark", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro",
        "kieu_mau", "ke_hoach")}
    assert "ntm.marts.mart_progress" in tasks["close_month"]["outlets"]
    # the run record: opened by a setup task, finished by a teardown after the month is closed
    assert tasks["begin"]["setup"] and tasks["finish"]["teardown"]
    assert tasks["finish"]["upstream"] == ["begin", "close_month"]
    assert [t for t, d in tasks.items() if d["setup"] or d["teardown"]] == ["begin", "finish"]


def test_rebuild_dag_shape(parsed: dict) -> None:
    tasks = parsed["dags"]["ntm_rebuild"]["tasks"]
    assert list(tasks) == ["plan", "begin", "close_months", "finish"]
    assert tasks["begin"]["setup"] and tasks["finish"]["teardown"]
    assert tasks["begin"]["upstream"] == ["plan"] and tasks["finish"]["upstream"] == ["begin", "close_months"]
    assert "ntm.marts.mart_progress" in tasks["close_months"]["outlets"]


def test_cosmos_mode_renders_one_task_per_model(tmp_path: Path) -> None:
    manifest = load_settings().dbt_target_dir / "manifest.json"
    if not manifest.exists():
        pytest.skip(f"{manifest} not built (dbt parse)")
    parsed = parse_dags(tmp_path, NTM_DBT_MODE="cosmos", NTM_DBT_TARGET_DIR=str(manifest.parent))
    assert parsed["errors"] == {}
    tasks = parsed["dags"]["ntm_monthly"]["tasks"]
    models = [t for t in tasks if t.startswith("dbt.")]
    print(f"\ncosmos: {len(models)} dbt tasks, DAG folder parse time {parsed['seconds']:.3f} s")
    assert any("mart_progress" in t for t in models)
    assert "prepare_build" in tasks and "close_month" in tasks
    # each dbt task's sessions as `ntm transform`'s: into the build schema, JIT off, the build's work_mem
    env = tasks[next(t for t in models if "mart_progress" in t)]["env"]
    assert env["NTM_MARTS_SCHEMA"] == "marts_build"
    assert env["PGOPTIONS"].endswith(f"-c work_mem={load_settings().dbt_work_mem} -c jit=off")
    assert "prepare_build" in tasks[next(t for t in models if "mart_progress" in t)]["upstream"] or any(
        "prepare_build" in tasks[t]["upstream"] for t in models)


def test_a_wrong_dbt_mode_is_an_import_error(tmp_path: Path) -> None:
    (tmp_path / "psycopg_trap.py").write_text(TRAP)
    res = subprocess.run([sys.executable, "-c", PARSE, str(DAGS)], capture_output=True, text=True,
                         env=_airflow_env(tmp_path, PYTHONPATH=str(tmp_path), NTM_DBT_MODE="both"), timeout=120)
    assert "NTM_DBT_MODE must be 'task' or 'cosmos'" in res.stdout


# --- pure helpers ------------------------------------------------------------------------------


def test_month_of_run(common) -> None:
    assert common.month_of_run("2023-05", None) == date(2023, 5, 1)
    assert common.month_of_run(None, datetime(2023, 4, 5, tzinfo=UTC)) == date(2023, 4, 1)
    assert common.month_of_run("2023-05", datetime(2023, 1, 5, tzinfo=UTC)) == date(2023, 5, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        common.month_of_run("May 2023", None)
    with pytest.raises(ValueError, match="13"):
        common.month_of_run("2023-13", None)
    with pytest.raises(ValueError, match="conf"):
        common.month_of_run(None, None)


def test_the_timetable_runs_on_the_5th_for_the_previous_month(parsed: dict) -> None:
    sys.path.insert(0, str(DAGS))
    from airflow.timetables.interval import CronDataIntervalTimetable  # the scheduler's side

    timetable = CronDataIntervalTimetable("0 0 5 * *", timezone="UTC")
    interval = timetable.infer_manual_data_interval(run_after=datetime(2023, 6, 5, 0, 0, tzinfo=UTC))
    assert (interval.start.date(), interval.end.date()) == (date(2023, 5, 5), date(2023, 6, 5))
    import ntm_common

    assert ntm_common.month_of_run(None, interval.start) == date(2023, 5, 1)


@pytest.mark.parametrize(("files", "expected"), [
    (0, [0]), (1, [1]), (10, [10]), (25, [25]), (26, [13, 13]), (60, [20, 20, 20]),
    (100, [34, 34, 32]), (700, [234, 234, 232]), (2000, [667, 667, 666]),
])
def test_batches_keep_a_national_month_to_a_handful_of_tasks(common, files: int, expected: list[int]) -> None:
    paths = [f"f{i}.xlsx" for i in range(files)]
    out = common.batches(paths)
    assert [len(b) for b in out] == expected
    assert [p for b in out for p in b] == paths


def test_rebuild_ignores_events_of_the_monthly_run(common) -> None:
    sys.path.insert(0, str(DAGS))
    from types import SimpleNamespace as Event

    from ntm_rebuild import months_from_events

    monthly = Event(extra={"months": ["2023-05"], "dag_id": "ntm_monthly"})
    watch = Event(extra={"months": ["2023-02", "2023-01"], "dag_id": "ntm_raw_watch"})
    manual = Event(extra={"months": ["2023-02"]})
    assert months_from_events({"a": [monthly]}) is None
    assert months_from_events({"a": [monthly, watch], "b": [manual]}) == ["2023-01", "2023-02"]
    assert months_from_events({"a": [Event(extra=None)]}) == []
    assert months_from_events(None) is None


# --- notify ------------------------------------------------------------------------------------

SUMMARY = {
    "run_id": 7, "month": "2023-05", "files": 3, "accepted": 2, "duplicates": 0,
    "rejected": [{"file_name": "x.xlsx", "unit": "258", "reason": "failed validation",
                  "findings": ["bad mark in tc03"]}],
    "dbt_success": True, "mart_checks_success": True,
    "coverage": {"expected": 4, "accepted": 2, "rejected": 1, "missing": 1, "missing_units": ["259"],
                 "rejected_units": ["258"], "late_units": []},
}


def test_notify_is_off_by_default() -> None:
    from ingest.serve.notify import OFF, notify

    settings = load_settings().model_copy(update=dict(notify_url=None, smtp_to=None))
    assert notify(SUMMARY, settings) == OFF


def test_notify_posts_the_summary_to_the_webhook() -> None:
    from ingest.serve.notify import notify

    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = load_settings().model_copy(update=dict(notify_url=f"http://127.0.0.1:{server.server_port}/hook", smtp_to=None))
        assert notify(SUMMARY, settings) == "webhook: HTTP 204"
    finally:
        server.shutdown()
    body = received[0]
    assert body["summary"]["month"] == "2023-05"
    assert "ACTION NEEDED" in body["subject"]
    assert "259" in body["text"] and "258" in body["text"] and "x.xlsx" in body["text"]


def test_notify_failures_raise_so_the_task_retries() -> None:
    import socket

    from ingest.serve.notify import NotifyError, notify

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(NotifyError, match="webhook"):
        notify(SUMMARY, load_settings().model_copy(update=dict(notify_url=f"http://127.0.0.1:{port}/", smtp_to=None)))


def test_the_deadline_callback_notifies(monkeypatch) -> None:
    import asyncio

    from ingest.serve import notify as module

    sent = []
    monkeypatch.setattr(module, "load_settings", lambda: load_settings().model_copy(update=dict(notify_url=None, smtp_to=None)))
    monkeypatch.setattr(module, "notify", lambda summary, settings: sent.append(summary) or "off")
    out = asyncio.run(module.deadline_missed({"dag_run": {"run_id": "scheduled__2023"}}, dag_id="ntm_monthly"))
    assert out == "off"
    assert sent == [{"event": "deadline_missed", "dag_id": "ntm_monthly", "run_id": "scheduled__2023",
                     "deadline": None}]
    subject, body = module.message(sent[0])
    assert "late" in subject and "scheduled__2023" in body


# --- the watcher's query (on a real database) ----------------------------------------------------

def _submission(conn, period: date, run_id: int | None, loaded_at: str, status: str = "accepted") -> None:
    conn.execute(
        """INSERT INTO audit.submission (file_name, sha256, bytes, file_format, submitting_unit_code,
               period, version, status, archive_path, loaded_at, pipeline_run_id)
           VALUES ('f.xlsx', md5(random()::text) || md5(random()::text), 1, 'xlsx', '256', %s, 1, %s, 'a',
                   %s::timestamptz, %s)""",
        (period, status, loaded_at, run_id))


def test_late_loads_are_those_outside_any_run_since_the_last_rebuild(common, fresh_database_url: str) -> None:
    import psycopg

    url = fresh_database_url
    with psycopg.connect(url, autocommit=True) as conn:
        assert common.late_loaded_months(url) == []
        monthly = conn.execute("INSERT INTO audit.pipeline_run (dag_id, logical_month, state) "
                               "VALUES ('ntm_monthly', '2023-05-01', 'success') RETURNING run_id").fetchone()[0]
        _submission(conn, date(2023, 5, 1), monthly, "2023-06-05")           # built by its own run
        _submission(conn, date(2023, 2, 1), None, "2023-06-10")              # `ntm ingest` of a correction
        _submission(conn, date(2023, 3, 1), None, "2023-06-10", "rejected")  # never reached raw
        assert common.late_loaded_months(url) == ["2023-02"]
        conn.execute("INSERT INTO audit.pipeline_run (dag_id, started_at, state) "
                     "VALUES ('ntm_rebuild', '2023-06-11', 'failed')")
        assert common.late_loaded_months(url) == ["2023-02"]                 # a failed rebuild does not count
        conn.execute("INSERT INTO audit.pipeline_run (dag_id, started_at, state) "
                     "VALUES ('ntm_rebuild', '2023-06-11', 'success')")
        assert common.late_loaded_months(url) == []
        _submission(conn, date(2023, 1, 1), None, "2023-06-12")
        assert common.late_loaded_months(url) == ["2023-01"]


def test_mail_goes_through_airflows_smtp_notifier(monkeypatch) -> None:
    """A minimal SMTP server on loopback receives the message sent by Airflow's SmtpNotifier
    through the `smtp_default` connection (no mock of smtplib or of the notifier)."""
    import socketserver

    from ingest.serve.notify import NotifyError, mail_sender

    mails: list[str] = []

    class Smtp(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test\r\n")
            data, in_data = [], False
            for raw in self.rfile:
                line = raw.decode().rstrip("\r\n")
                if in_data:
                    if line == ".":
                        in_data = False
                        mails.append("\n".join(data))
                        self.wfile.write(b"250 queued\r\n")
                    else:
                        data.append(line)
                    continue
                verb = line[:4].upper()
                if verb == "DATA":
                    in_data = True
                    self.wfile.write(b"354 go\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"from_email": "ntm@example.org", "disable_ssl": True, "disable_tls": True, "retry_limit": 0}}))
    try:
        out = mail_sender("ops@example.org")(SUMMARY)
    finally:
        server.shutdown()
        server.server_close()
    assert out == "e-mail to ops@example.org (Airflow SMTP, connection smtp_default)"
    mail = email.message_from_string(mails[0], policy=email.policy.default)
    assert (mail["To"], mail["From"]) == ("ops@example.org", "ntm@example.org")
    assert mail["Subject"].startswith("[NTM] 2023-05")
    body = next(part for part in mail.walk() if part.get_content_type() == "text/html").get_content()
    assert "259" in body and "x.xlsx" in body
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"from_email": "ntm@example.org", "disable_ssl": True, "disable_tls": True, "retry_limit": 0,
                  "timeout": 2}}))
    with pytest.raises(NotifyError, match="ops@example.org"):   # the server is gone
        mail_sender("ops@example.org")(SUMMARY)
