"""A tiny workbook must not kill the process (issue 14, class 1), each case beside a good file in
one batch, through `ntm ingest` and a monthly run (`ntm run --month`):

- bounded before calamine sees the file: one cell at A1 and one at XFD1048576; a declared
  dimension of the whole sheet over a few cells; real cells beyond the declared dimension; a row
  of cells without `r` wider than the column limit; five sheets each within the cell budget but
  over it together (`too_many_rows` / `too_many_columns`, located);
- contained when something escapes: a worker killed by SIGSEGV, a MemoryError under the worker's
  address-space limit, a read that outlives the time limit (a test reader, `misbehaving_reader`),
  and, with the bounds opened wide, calamine's own abort on the corner workbook (SIGABRT):
  each a located `reader_error` naming the file; the good file is accepted, nothing aborts, every
  status is final, and running the month again reads nothing again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from ingest import pipeline
from ingest.cli.main import main
from ingest.intake import isolation
from tests.fixtures.hostile import (
    BATCH_MAX_CELLS,
    BATCH_TIMEOUT_S,
    CORNER_ROW,
    MISBEHAVING_READER,
    extent_cases,
    in_sheet,
    patch_sheets,
)

# What the message of a contained failure says (message_en), beyond check, sheet and value.
SAYS = {
    "worker_sigsegv": "stopped by SIGSEGV",
    "worker_memory": "exceeded the 3,072 MB memory limit",
    "time_limit": f"took longer than the {BATCH_TIMEOUT_S} s time limit",
}


@pytest.fixture
def batch_limits(monkeypatch):
    """The batch's cell budget and time limit, and the test reader in the workers."""
    monkeypatch.setenv("NTM_MAX_CELLS", str(BATCH_MAX_CELLS))
    monkeypatch.setenv("NTM_READER_TIMEOUT_S", str(BATCH_TIMEOUT_S))
    monkeypatch.setattr(isolation, "READ_TARGET", MISBEHAVING_READER)
    yield
    isolation.shutdown()


def _check(url: str, cases: dict, by_name: dict[str, dict]) -> None:
    for name, (_path, expected) in cases.items():
        out = by_name[name]
        if not expected:
            assert out["status"] == "accepted", (name, out["findings"])
            continue
        assert out["status"] == "rejected", (name, out)
        errors = [f for f in out["findings"] if f["severity"] == "error"]
        got = {(f["check_name"], f["sheet"], f["value"]) for f in errors}
        assert {(c, s, str(v)) for c, s, v in expected} <= got, (name, got)
        assert all(f["message_vi"] and f["message_en"] for f in errors)
        if name in SAYS:
            [error] = errors
            assert SAYS[name] in error["message_en"] and error["value"] in error["message_en"], error
    good = by_name["good"]["submission_id"]
    with psycopg.connect(url) as conn:
        statuses = {r[0] for r in conn.execute("SELECT status FROM audit.submission")}
        loaded = {r[0] for r in conn.execute("SELECT DISTINCT submission_id FROM raw.tieu_chi_xa")}
    assert statuses <= {"accepted", "rejected", "duplicate"}, statuses
    assert loaded == {good}


@pytest.mark.timeout(900)
def test_ntm_ingest_bounds_and_contains_each_hostile_file_beside_a_good_one(url, good_xlsx, tmp_path, batch_limits,
                                                                           capsys):
    cases = extent_cases(good_xlsx, tmp_path / "sent")
    code = main(["ingest", "--database-url", url, "--no-docs", "--json", *[str(p) for p, _ in cases.values()]])
    outs = json.loads(capsys.readouterr().out)
    assert code == 1
    _check(url, cases, dict(zip(cases, outs, strict=True)))


def _reader_runs(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(
            """SELECT s.file_name, count(r.run_id) FROM audit.submission s
                 LEFT JOIN audit.validation_run r ON r.submission_id = s.submission_id AND r.suite = 'reader'
                WHERE s.status <> 'duplicate' GROUP BY s.file_name""").fetchall())


@pytest.mark.timeout(1800)
def test_a_monthly_run_resumes_files_left_received_and_its_retry_reads_nothing_again(url, good_xlsx, tmp_path,
                                                                                    monkeypatch, batch_limits,
                                                                                    capsys):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("NTM_INBOX", str(inbox))
    cases = extent_cases(good_xlsx, inbox / "2023-05")
    # what a run that died while reading left behind: every file received, none read
    received = pipeline.receive([str(p) for p, _ in cases.values()], url)
    assert len(received) == len(cases)
    code = main(["run", "--database-url", url, "--month", "2023-05", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["dbt_success"], summary
    by_file = {o.file_name: o.as_dict() for o in pipeline.outcomes(url, received)}
    _check(url, cases, {name: by_file[path.name] for name, (path, _) in cases.items()})
    assert set(_reader_runs(url).values()) == {1}
    # the retry: the month again, the same files in the inbox; nothing is read twice
    code = main(["run", "--database-url", url, "--month", "2023-05", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["dbt_success"], summary
    assert set(_reader_runs(url).values()) == {1}
    _check(url, cases, {name: by_file[path.name] for name, (path, _) in cases.items()})


def _wide_open(monkeypatch) -> None:
    """Bounds opened so wide that the corner workbook reaches calamine (which then aborts)."""
    monkeypatch.setenv("NTM_MAX_ROWS", "10000000")
    monkeypatch.setenv("NTM_MAX_COLUMNS", "100000")
    monkeypatch.setenv("NTM_MAX_CELLS", str(10**13))


def _abort_cases(good_xlsx: list[Path], where: Path) -> dict:
    where.mkdir(parents=True, exist_ok=True)
    return {
        "good": (shutil.copy(good_xlsx[0], where / good_xlsx[0].name), []),
        "calamine_abort": (patch_sheets(good_xlsx[1], where / "corner.xlsx", in_sheet("tieu_chi_xa", CORNER_ROW)),
                           [("reader_error", None, "corner.xlsx")]),
    }


def _check_abort(url: str, cases: dict, by_name: dict[str, dict]) -> None:
    _check(url, cases, by_name)
    [error] = [f for f in by_name["calamine_abort"]["findings"] if f["severity"] == "error"]
    assert "stopped by SIGABRT" in error["message_en"], error
    assert "memory allocation of 549755813888 bytes failed" in error["message_en"], error  # 2^34 cells x 32 B


@pytest.mark.timeout(900)
def test_calamine_aborting_under_the_memory_limit_rejects_its_file_only_through_ntm_ingest(url, good_xlsx, tmp_path,
                                                                                          monkeypatch, capsys):
    _wide_open(monkeypatch)
    cases = _abort_cases(good_xlsx, tmp_path / "sent")
    code = main(["ingest", "--database-url", url, "--no-docs", "--json", *[str(p) for p, _ in cases.values()]])
    outs = json.loads(capsys.readouterr().out)
    assert code == 1
    _check_abort(url, cases, dict(zip(cases, outs, strict=True)))


@pytest.mark.timeout(1800)
def test_calamine_aborting_under_the_memory_limit_rejects_its_file_only_in_a_monthly_run(url, good_xlsx, tmp_path,
                                                                                        monkeypatch, capsys):
    _wide_open(monkeypatch)
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("NTM_INBOX", str(inbox))
    cases = _abort_cases(good_xlsx, inbox / "2023-05")
    code = main(["run", "--database-url", url, "--month", "2023-05", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["dbt_success"], summary
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT submission_id FROM audit.submission ORDER BY submission_id")]
    by_file = {o.file_name: o.as_dict() for o in pipeline.outcomes(url, ids)}
    _check_abort(url, cases, {name: by_file[path.name] for name, (path, _) in cases.items()})
