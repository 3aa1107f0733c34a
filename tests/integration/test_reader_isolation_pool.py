"""The reading processes themselves (ingest/intake/isolation.py), without a database: results in
the order asked, a crash, a MemoryError or a timeout costs its own file only, the pool goes on with
fresh workers, and a worker's stray output never corrupts an answer. The test reader
(`misbehaving_reader`) misbehaves on files holding a marker member."""

from __future__ import annotations

import pytest

from ingest.config import Settings
from ingest.intake import isolation
from ingest.intake.isolation import Job, read_isolated, read_many
from tests.fixtures.hostile import MEMORY, MISBEHAVING_READER, PRINT, SIGSEGV, SLEEP, in_sheet, patch_sheets

TIMEOUT_S = 6


@pytest.fixture
def misbehaving(monkeypatch):
    monkeypatch.setattr(isolation, "READ_TARGET", MISBEHAVING_READER)
    yield Settings(reader_timeout_s=TIMEOUT_S, reader_workers=2)
    isolation.shutdown()


def _marked(src, dest, marker):
    return patch_sheets(src, dest, in_sheet(None), {marker: b""})


def _error(result) -> str:
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.check_name == "reader_error" and finding.sheet is None
    return finding.message_en


@pytest.mark.timeout(600)
def test_each_failure_costs_its_own_file_and_the_answers_keep_their_order(good_xlsx, tmp_path, admin, misbehaving):
    jobs = [
        Job(good_xlsx[0], "good-258.xlsx"),
        Job(_marked(good_xlsx[1], tmp_path / "segv.xlsx", SIGSEGV), "segv.xlsx"),
        Job(_marked(good_xlsx[2], tmp_path / "slow.xlsx", SLEEP), "slow.xlsx"),
        Job(_marked(good_xlsx[3], tmp_path / "memory.xlsx", MEMORY), "memory.xlsx"),
        Job(good_xlsx[4], "good-263.xlsx"),
    ]
    good, segv, slow, memory, other = read_many(jobs, admin, misbehaving)
    assert not good.rejected and good.meta["submitting_unit_code"] == "258"
    assert not other.rejected and other.meta["submitting_unit_code"] == "263"
    assert "could not read 'segv.xlsx': the reading process was stopped by SIGSEGV" in _error(segv)
    assert f"could not read 'slow.xlsx': reading the file took longer than the {TIMEOUT_S} s time limit" \
        in _error(slow)
    assert "could not read 'memory.xlsx': reading the file exceeded the 3,072 MB memory limit (MemoryError" \
        in _error(memory)
    assert "Không đọc được tệp 'segv.xlsx'" in segv.findings[0].message_vi
    # the pool goes on, with fresh workers where workers were lost
    again = read_isolated(good_xlsx[5], admin, misbehaving, "good-264.xlsx")
    assert not again.rejected and again.meta["submitting_unit_code"] == "264"


def test_a_worker_printing_to_stdout_does_not_corrupt_its_answer(good_xlsx, tmp_path, admin, misbehaving):
    result = read_isolated(_marked(good_xlsx[0], tmp_path / "print.xlsx", PRINT), admin, misbehaving, "print.xlsx")
    assert not result.rejected and result.meta["submitting_unit_code"] == "258"
    assert len(result.frames["tieu_chi_xa"]) > 0


def test_an_idle_worker_that_died_is_replaced(good_xlsx, admin, misbehaving):
    assert not read_isolated(good_xlsx[0], admin, misbehaving).rejected
    pool = isolation._pool(misbehaving)
    [idle] = pool._idle
    idle.proc.kill()
    idle.proc.wait()
    result = read_isolated(good_xlsx[1], admin, misbehaving)
    assert not result.rejected and result.meta["submitting_unit_code"] == "259"


def test_a_finding_of_the_reader_inside_the_worker_is_returned_as_found(tmp_path, admin, misbehaving):
    (tmp_path / "text.xlsx").write_text("not a workbook")
    result = read_isolated(tmp_path / "text.xlsx", admin, misbehaving)
    assert [f.check_name for f in result.findings] == ["file_unreadable"]
