"""Crash safety: kill the pipeline mid-write (staging or load), kill the database server mid-load; nothing is lost and
nothing half-loaded is visible; a re-run completes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ingest import pipeline
from ingest.config import load_settings
from ingest.store import localdb
from ingest.store import statements as store
from ingest.store.db import migrate_all
from tests.fixtures.faults import MONTH

# Runs the real pipeline in a child process; once the given step of the store has written its
# rows (the validate step's COPY into `validated`, or the loader's move into raw), still inside
# its transaction, it signals the parent (creates a file) and stops, so the parent can kill it
# with the rows written and not committed.
CHILD = r"""
import sys, time
from pathlib import Path
from ingest import pipeline
from ingest.store import statements as store
url, ready, path, step = sys.argv[1:5]
real = getattr(store, step)
def written_then_stop(*args, **kwargs):
    result = real(*args, **kwargs)
    Path(ready).touch()
    time.sleep(600)
    return result
setattr(store, step, written_then_stop)
pipeline.ingest_paths([path], url, build_docs=False)
"""


def snapshot(url: str) -> dict:
    with psycopg.connect(url) as conn:
        counts = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("raw", t))).fetchone()[0] for t in store.RAW_COLUMNS}
        subs = conn.execute("SELECT submission_id, status FROM audit.submission ORDER BY 1").fetchall()
    return {"raw": counts, "submissions": subs}


def start_child(url: str, workbook: Path, tmp_path: Path, env: dict,
                step: str = "move_staged") -> tuple[subprocess.Popen, Path]:
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, url, str(ready), str(workbook), step], env=env)
    deadline = time.time() + 120
    while not ready.exists():
        assert proc.poll() is None, f"the pipeline exited before {step} wrote its rows"
        assert time.time() < deadline, f"the pipeline never reached {step}"
        time.sleep(0.05)
    return proc, ready


def assert_recovered(url: str, workbook: Path, before: dict) -> None:
    after = snapshot(url)
    assert after["raw"] == before["raw"], "a killed load must leave raw exactly as before"
    assert [s for s in after["submissions"] if s[1] == "accepted"] == [
        s for s in before["submissions"] if s[1] == "accepted"]
    with psycopg.connect(url) as conn:
        path = conn.execute("SELECT archive_path FROM audit.submission ORDER BY 1 DESC LIMIT 1").fetchone()[0]
    assert Path(path).read_bytes() == workbook.read_bytes(), "the archive still holds the file"
    [outcome] = pipeline.ingest_paths([str(workbook)], url, build_docs=False)
    assert outcome.status == "accepted"
    assert snapshot(url)["raw"]["tieu_chi_xa"] > before["raw"]["tieu_chi_xa"]
    with psycopg.connect(url) as conn:  # the re-run moved whatever the killed run had staged
        assert conn.execute("SELECT count(*) FROM validated.tieu_chi_xa").fetchone() == (0,)


@pytest.mark.parametrize("step", ["stage_frames", "move_staged"])
def test_sigkill_of_the_pipeline_mid_write(fresh_database_url, workbook, tmp_path, monkeypatch, step):
    """Killed with the validated rows COPYed into `validated`, or moved into raw, and not
    committed: nothing of it is visible, and a re-run of the same file loads it."""
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    migrate_all(fresh_database_url)
    before = snapshot(fresh_database_url)
    proc, _ = start_child(fresh_database_url, workbook, tmp_path, dict(os.environ), step)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)  # the server notices the dead client and rolls back
    assert_recovered(fresh_database_url, workbook, before)


def test_database_server_killed_mid_load_and_restarted(workbook, tmp_path, monkeypatch):
    # A private cluster of its own: this test kills its server. Outside pytest's tmp tree, whose
    # permissions pytest resets to 0700 (the postgres OS user must traverse to the data).
    state = Path(tempfile.mkdtemp(prefix="ntm-fault-"))
    monkeypatch.setenv("NTM_STATE_DIR", str(state))
    monkeypatch.delenv("NTM_DATABASE_URL", raising=False)
    monkeypatch.delenv("NTM_PG_PORT", raising=False)
    settings = load_settings()
    url = localdb.start(settings)
    try:
        migrate_all(url)
        before = snapshot(url)
        proc, _ = start_child(url, workbook, tmp_path, dict(os.environ))
        cluster = localdb.Cluster.of(settings)
        pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)  # the postmaster dies; its backends follow
        proc.kill()
        proc.wait(timeout=30)
        for _ in range(100):
            if not localdb.is_running(settings):
                break
            time.sleep(0.1)
        (cluster.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for attempt in range(50):  # orphaned backends may hold shared memory for a moment
            try:
                url = localdb.start(settings)  # crash recovery replays the WAL
                break
            except localdb.LocalDbError:
                if attempt == 49:
                    raise
                time.sleep(0.2)
        assert_recovered(url, workbook, before)
    finally:
        localdb.stop(settings)
        shutil.rmtree(state, ignore_errors=True)


def test_sigkill_during_dbt_build(fresh_database_url, tmp_path, monkeypatch):
    """A killed `dbt build` leaves the marts exactly as before the attempt (the build runs in
    `marts_build` and is published in one transaction); raw and audit are untouched; a re-run
    completes and equals a full rebuild."""
    from test_concurrency import mart_checksums

    from ingest.devtools.generate import generate
    from ingest.pipeline import transform

    url = fresh_database_url
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    migrate_all(url)
    files = generate("27", [date(2023, 4, 1), MONTH], tmp_path / "gen", seed=3)
    april = [str(f) for f in files if f.name.startswith("2023-04")]
    may = [str(f) for f in files if f.name.startswith("2023-05")]
    pipeline.ingest_paths(april, url, build_docs=False)
    assert transform(url).success
    before = mart_checksums(url)
    pipeline.ingest_paths(may, url, build_docs=False)
    raw_before = snapshot(url)

    proc = subprocess.Popen([sys.executable, "-u", "-m", "ingest.cli.main", "transform", "--database-url", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if " mart_" in line:  # a mart has been rebuilt: kill in the middle of the build
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    time.sleep(0.5)

    assert mart_checksums(url) == before, "a killed build must not change the marts"
    assert snapshot(url) == raw_before
    assert transform(url).success
    after = mart_checksums(url)
    assert after != before
    assert transform(url, full_refresh=True).success
    assert mart_checksums(url) == after


def test_a_failing_dbt_test_publishes_nothing(fresh_database_url, tmp_path, monkeypatch):
    """Rows that break a warehouse test (here: a 7-star OCOP product slipped into raw behind the
    validators' back) fail the build, and the marts stay as they were."""
    from test_concurrency import mart_checksums

    from ingest.devtools.generate import generate
    from ingest.pipeline import transform

    url = fresh_database_url
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    migrate_all(url)
    files = generate("27", [MONTH], tmp_path / "gen", seed=8)
    pipeline.ingest_paths([str(f) for f in files], url, build_docs=False)
    assert transform(url).success
    before = mart_checksums(url)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE raw.ocop SET stars = 7 WHERE stars IS NOT NULL")
        conn.execute("UPDATE raw.nguon_von SET amount_mvnd = amount_mvnd + 1")
    result = transform(url, full_refresh=True)
    assert not result.success
    assert any("stars" in f.node or "stars" in f.message for f in result.failures), result.failures
    assert mart_checksums(url) == before


def test_a_failed_reconciliation_publishes_nothing_and_fails_the_run(fresh_database_url, tmp_path, monkeypatch):
    """A raw figure changed while the month's marts were being built (here: once fct_funding is
    built) passes dbt but not the reconciliation against the build copy: `marts` stays exactly as
    BI users saw it, the failed check is recorded, and the pipeline run is recorded failed."""
    from test_concurrency import mart_checksums

    from ingest.devtools.generate import generate

    url = fresh_database_url
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    migrate_all(url)
    inbox = tmp_path / "inbox"
    generate("27", [date(2023, 4, 1), MONTH], inbox, seed=5)
    assert pipeline.run_month(date(2023, 4, 1), str(inbox), url, build_docs=False)["published"]
    before = mart_checksums(url)
    tampered: list[str] = []

    def tamper(line: str) -> None:
        if not tampered and " model " in line and " fct_funding (" in line:
            with psycopg.connect(url) as conn:
                conn.execute("""UPDATE raw.nguon_von SET amount_mvnd = amount_mvnd + 7
                                WHERE ctid = (SELECT n.ctid FROM raw.nguon_von n JOIN audit.submission s
                                              USING (submission_id)
                                              WHERE s.period = %s AND s.status = 'accepted' LIMIT 1)""", (MONTH,))
            tampered.append(line)

    summary = pipeline.run_month(MONTH, str(inbox), url, progress=tamper, build_docs=False)
    assert tampered, "the build never reported fct_funding"
    assert summary["dbt_success"] and not summary["mart_checks_success"] and not summary["published"]
    assert any("funding" in f for f in summary["mart_check_failures"]), summary["mart_check_failures"]
    assert mart_checksums(url) == before, "a failed reconciliation must leave the published marts as they were"
    with psycopg.connect(url) as conn:
        state, detail = conn.execute("SELECT state, detail FROM audit.pipeline_run WHERE run_id = %s",
                                     (summary["run_id"],)).fetchone()
        checks = conn.execute("SELECT success, period FROM audit.validation_run "
                              "WHERE pipeline_run_id = %s AND submission_id IS NULL", (summary["run_id"],)).fetchall()
    assert state == "failed" and detail["published"] is False
    assert checks == [(False, MONTH)]
