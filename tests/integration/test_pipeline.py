"""The pipeline against a real PostgreSQL: archive first, versions, duplicates, stale, atomic loads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import openpyxl
import psycopg
import pytest
from psycopg import sql

from ingest import pipeline
from ingest.cli.main import main
from ingest.config import load_settings
from ingest.store import statements as store
from tests.fixtures.pipeline import MONTH, with_version


def raw_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("raw", t))).fetchone()[0] for t in store.RAW_COLUMNS}


def statuses(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT submission_id, status, version, superseded_by FROM audit.submission ORDER BY submission_id"
        ).fetchall()


@contextmanager
def refused(url: str, table: str, check: sql.Composable) -> Iterator[None]:
    """A CHECK constraint `test_refuse` on `table` for the duration of the block."""
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT test_refuse CHECK ({})").format(sql.SQL(table), check))
    try:
        yield
    finally:
        with psycopg.connect(url) as conn:
            conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT test_refuse").format(sql.SQL(table)))


def test_accepted_submission_is_archived_recorded_and_loaded(url, sample):
    [out] = pipeline.ingest_paths([str(sample[0])], url, build_docs=False)
    assert out.status == "accepted", out.findings
    assert out.counts["tieu_chi_xa"] > 0
    assert out.counts["tieu_chi_xa_mark"] == 19 * out.counts["tieu_chi_xa"]
    with psycopg.connect(url) as conn:
        sha, path, size = conn.execute(
            "SELECT sha256, archive_path, bytes FROM audit.submission WHERE submission_id = %s",
            (out.submission_id,)).fetchone()
    data = Path(path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha == hashlib.sha256(sample[0].read_bytes()).hexdigest()
    assert size == len(data)
    assert Path(path).is_relative_to(load_settings().archive_dir)


def test_same_bytes_twice_is_a_duplicate_and_not_loaded_twice(url, sample):
    first = pipeline.ingest_paths([str(sample[0])], url, build_docs=False)
    before = raw_counts(url)
    [again] = pipeline.ingest_paths([str(sample[0])], url, build_docs=False)
    assert again.status == "duplicate"
    assert raw_counts(url) == before
    with psycopg.connect(url) as conn:
        dup_of = conn.execute("SELECT duplicate_of FROM audit.submission WHERE submission_id = %s",
                              (again.submission_id,)).fetchone()[0]
    assert dup_of == first[0].submission_id


def test_higher_version_supersedes_and_lower_is_stale(url, sample, tmp_path):
    v1 = pipeline.ingest_paths([str(sample[0])], url, build_docs=False)[0]
    v3 = pipeline.ingest_paths([str(with_version(sample[0], 3, tmp_path / "v3.xlsx"))], url, build_docs=False)[0]
    assert (v1.status, v3.status) == ("accepted", "accepted")
    v2 = pipeline.ingest_paths([str(with_version(sample[0], 2, tmp_path / "v2.xlsx"))], url, build_docs=False)[0]
    assert v2.status == "stale"
    assert any(f["check_name"] == "stale_version" and "4" in f["message_en"] for f in v2.findings)
    rows = {sid: (status, sup) for sid, status, _v, sup in statuses(url)}
    assert rows[v1.submission_id] == ("superseded", v3.submission_id)
    assert rows[v3.submission_id][0] == "accepted"
    # a different file repeating an accepted version is stale too
    again = with_version(sample[0], 3, tmp_path / "v3b.xlsx")
    wb = openpyxl.load_workbook(again)
    wb["thong_tin"].cell(row=wb["thong_tin"].max_row + 1, column=1, value="ghi chú")
    wb.save(again)
    assert pipeline.ingest_paths([str(again)], url, build_docs=False)[0].status == "stale"


def test_not_a_workbook_is_archived_and_rejected_with_exit_1(url, tmp_path, capsys):
    bad = tmp_path / "2023-05_256_v1.xlsx"
    bad.write_text("hello, not a workbook", encoding="utf-8")
    code = main(["ingest", "--database-url", url, "--no-docs", str(bad)])
    out = capsys.readouterr().out
    assert code == 1
    assert "REJECTED" in out and "file_unreadable" in out
    with psycopg.connect(url) as conn:
        status, path = conn.execute("SELECT status, archive_path FROM audit.submission").fetchone()
        findings = conn.execute("SELECT check_name, severity FROM audit.finding").fetchall()
    assert status == "rejected"
    assert Path(path).read_bytes() == bad.read_bytes()
    assert ("file_unreadable", "error") in findings
    assert raw_counts(url) == {t: 0 for t in store.RAW_COLUMNS}


def test_one_bad_file_does_not_stop_the_others(url, sample, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(sample[0].read_bytes()[:500])  # truncated workbook
    outs = pipeline.ingest_paths([str(bad), str(sample[1])], url, build_docs=False)
    assert [o.status for o in outs] == ["rejected", "accepted"]


def test_a_failed_load_leaves_raw_and_statuses_unchanged(url, sample, monkeypatch):
    pipeline.ingest_paths([str(sample[0])], url, build_docs=False)
    before_raw, before_status = raw_counts(url), statuses(url)

    real_move = store.move_staged

    def move_then_fail(conn, ids):
        real_move(conn, ids)
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "move_staged", move_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.ingest_paths([str(sample[1])], url, build_docs=False)
    assert raw_counts(url) == before_raw
    after = statuses(url)
    assert after[: len(before_status)] == before_status
    assert after[-1][1] == "received"  # archived and recorded, not loaded: a re-run resumes it
    monkeypatch.setattr(store, "move_staged", real_move)
    [resumed] = pipeline.ingest_paths([str(sample[1])], url, build_docs=False)
    assert resumed.status == "accepted" and resumed.submission_id == after[-1][0]


def test_discover_lists_the_months_inbox(tmp_path):
    (tmp_path / "2023-05").mkdir()
    (tmp_path / "2023-05" / "a.xlsx").write_bytes(b"x")
    (tmp_path / "2023-05" / ".hidden").write_bytes(b"x")
    csv_dir = tmp_path / "2023-05" / "feed"
    csv_dir.mkdir()
    (csv_dir / "thong_tin.csv").write_text("key,value\n")
    assert [Path(p).name for p in pipeline.discover(str(tmp_path), MONTH)] == ["a.xlsx", "feed"]
    assert pipeline.discover(str(tmp_path), date(2023, 6, 1)) == []


def test_cli_usage_errors_exit_2(capsys):
    assert main(["run", "--month", "2023-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["ingest", "/no/such/file.xlsx"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "ingest" in capsys.readouterr().out


def staged_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("validated", t))).fetchone()[0]
                for t in store.RAW_COLUMNS}


def test_validate_and_load_share_nothing_but_ids(url, sample, tmp_path) -> None:
    """As on two Airflow workers: validate in one step, load in another with nothing handed over
    but submission ids. The validated rows wait in the database (schema `validated`), not on a
    worker's disk; the loader moves them into raw and leaves nothing behind."""
    ids = pipeline.receive([str(p) for p in sample[:2]], url)
    assert [v["status"] for v in pipeline.validate(ids, url, build_docs=False)] == ["validated", "validated"]
    state = load_settings().state_dir
    assert not (state / "staged").exists()
    staged = staged_counts(url)
    assert staged["thong_tin"] == 2 and staged["tieu_chi_xa"] > 0
    assert raw_counts(url) == {t: 0 for t in store.RAW_COLUMNS}
    loaded = pipeline.load(ids, url)
    assert [o.status for o in loaded] == ["accepted", "accepted"]
    in_raw = raw_counts(url)
    assert in_raw == staged
    assert sum(o.counts["tieu_chi_xa"] for o in loaded) == in_raw["tieu_chi_xa"]
    assert staged_counts(url) == {t: 0 for t in store.RAW_COLUMNS}


def test_rows_the_database_refuses_at_load_reject_that_file_only(url, sample) -> None:
    """The batch's one transaction fails on one file's rows (here a row of raw already holding its
    key): the batch is loaded again file by file; that file is rejected with an internal-error
    finding and its staged rows dropped, the other is accepted."""
    ids = pipeline.receive([str(p) for p in sample[:2]], url)
    pipeline.validate(ids, url, build_docs=False)
    with psycopg.connect(url) as conn:  # a key of raw.thong_tin taken before the load
        conn.execute("INSERT INTO raw.thong_tin SELECT * FROM validated.thong_tin WHERE submission_id = %s",
                     (ids[1],))
    loaded = {o.submission_id: o for o in pipeline.load(ids, url)}
    assert loaded[ids[0]].status == "accepted" and loaded[ids[0]].counts["tieu_chi_xa"] > 0
    assert loaded[ids[1]].status == "rejected"
    [final] = [o for o in pipeline.outcomes(url, [ids[1]])]
    assert final.status == "rejected" and "UniqueViolation" in final.reason
    assert [f["severity"] for f in final.findings if f["check_name"] == "internal_error"] == ["error"]
    assert staged_counts(url) == {t: 0 for t in store.RAW_COLUMNS}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM raw.tieu_chi_xa WHERE submission_id = %s", (ids[1],)).fetchone() == (0,)


def test_rows_the_database_refuses_at_validate_reject_that_file_only(url, sample) -> None:
    """Staging the batch's rows fails on one file's rows (a constraint added here for the test): the
    verdicts are recorded again file by file; that file is rejected, the other validated."""
    ids = pipeline.receive([str(p) for p in sample[:2]], url)
    with refused(url, "validated.thong_tin", sql.SQL("submission_id <> {}").format(sql.Literal(ids[1]))):
        verdicts = pipeline.validate(ids, url, build_docs=False)
    assert [v["status"] for v in verdicts] == ["validated", "rejected"]
    staged = staged_counts(url)
    assert staged["thong_tin"] == 1
    with psycopg.connect(url) as conn:
        runs = conn.execute("SELECT submission_id, count(*) FROM audit.validation_run GROUP BY 1 ORDER BY 1").fetchall()
        checks = conn.execute("SELECT check_name FROM audit.finding WHERE submission_id = %s", (ids[1],)).fetchall()
    assert runs[0][0] == ids[0] and runs[0][1] > 1  # the reader's run and the suites' runs
    assert ("internal_error",) in checks
    loaded = {o.submission_id: o.status for o in pipeline.load(ids, url)}
    assert loaded == {ids[0]: "accepted", ids[1]: "rejected"}


def test_a_declaration_the_database_refuses_rejects_that_file_only(url, sample) -> None:
    """The reader's runs and declarations of a batch are recorded in one transaction; when one
    file's values make it fail (a constraint added here for the test), each file is recorded on
    its own: that file is rejected with an internal-error finding, the other goes on, and no run is
    recorded twice."""
    ids = pipeline.receive([str(p) for p in sample[:2]], url)
    with refused(url, "audit.submission",
                 sql.SQL("submission_id <> {} OR submitting_unit_code IS NULL").format(sql.Literal(ids[1]))):
        verdicts = pipeline.validate(ids, url, build_docs=False)
    assert [v["status"] for v in verdicts] == ["validated", "rejected"]
    with psycopg.connect(url) as conn:
        readers = conn.execute("SELECT submission_id, success FROM audit.validation_run WHERE suite = 'reader' "
                               "ORDER BY 1").fetchall()
        checks = conn.execute("SELECT check_name FROM audit.finding WHERE submission_id = %s", (ids[1],)).fetchall()
        declared = conn.execute("SELECT submission_id, submitting_unit_code IS NOT NULL, status, status_reason "
                                "FROM audit.submission ORDER BY 1").fetchall()
    assert readers == [(ids[0], True)]
    assert checks == [("internal_error",)]
    assert declared[0][:3] == (ids[0], True, "received")
    assert declared[1][:3] == (ids[1], False, "rejected") and "CheckViolation" in declared[1][3]
    loaded = {o.submission_id: o.status for o in pipeline.load(ids, url)}
    assert loaded == {ids[0]: "accepted", ids[1]: "rejected"}


def test_one_run_record_per_airflow_run(url) -> None:
    """A retried or cleared Airflow run reopens its own `audit.pipeline_run` row."""
    first = pipeline.start_run(url, "ntm_monthly", MONTH, "manual__2023-06-05")
    pipeline.finish_run(url, first, "failed", {"why": "a task failed"})
    again = pipeline.start_run(url, "ntm_monthly", MONTH, "manual__2023-06-05")
    other = pipeline.start_run(url, "ntm_rebuild", None, "manual__2023-06-05")
    cli = [pipeline.start_run(url, "cli", MONTH) for _ in range(2)]
    assert again == first and other != first and cli[0] != cli[1]
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT state, finished_at, detail FROM audit.pipeline_run WHERE run_id = %s",
                            (first,)).fetchall()
    assert rows == [("running", None, {"why": "a task failed"})]
