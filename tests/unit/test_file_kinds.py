"""Only regular files are read (lstat, never following a link; a named pipe never opened; a copy
bounded by the size limit), and wrong formats are named with what to send instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.config import Settings
from ingest.intake.archive import archive
from ingest.intake.filecheck import Refused
from ingest.intake.reader import read_submission
from ingest.pipeline.files import expand_paths
from tests.fixtures.not_files import LIMIT, build_cases


@pytest.fixture(scope="module")
def cases(csv_subs, tmp_path_factory):
    return build_cases(csv_subs, tmp_path_factory.mktemp("nf_unit") / "inbox")


@pytest.mark.parametrize("name", ["link_passwd", "link_dev_zero", "fifo", "folder_link_outside", "folder_fifo"])
def test_links_pipes_and_devices_are_refused_without_reading(cases, tmp_path, name):
    path, check, value = cases[name]
    with pytest.raises(Refused) as refused:
        archive(path, tmp_path / "archive", LIMIT)
    assert [(f.check_name, f.value) for f in refused.value.findings] == [(check, value)]
    assert refused.value.findings[0].message_vi and refused.value.findings[0].message_en
    kept = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] if (tmp_path / "archive").exists() else []
    assert kept == []


def test_dev_zero_given_as_a_path_is_refused(tmp_path):
    with pytest.raises(Refused) as refused:
        archive(Path("/dev/zero"), tmp_path, LIMIT)
    assert refused.value.findings[0].check_name == "unsafe_file"


def test_the_copy_stops_at_the_limit(cases, tmp_path):
    at = archive(cases["at_limit"][0], tmp_path, LIMIT)
    assert at.bytes == LIMIT and Path(at.archive_path).stat().st_size == LIMIT
    with pytest.raises(Refused) as refused:
        archive(cases["over_limit"][0], tmp_path, LIMIT)
    assert refused.value.findings[0].check_name == "file_too_large" and refused.value.size == LIMIT + 1
    assert not list(tmp_path.rglob(".incoming-*"))


def test_a_folder_over_the_limit_is_refused(csv_subs, tmp_path):
    with pytest.raises(Refused) as refused:
        archive(csv_subs[0], tmp_path, 1000)
    assert refused.value.findings[0].check_name == "file_too_large"


def test_expand_paths_lists_links_and_pipes_without_following(cases, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.xlsx").write_bytes(b"x")
    (tmp_path / "dirlink").symlink_to(tmp_path / "real")
    (tmp_path / "broken.xlsx").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "p.xlsx")
    found = {p.name for p in expand_paths([tmp_path])}
    assert found == {"a.xlsx", "dirlink", "broken.xlsx", "p.xlsx"}
    inbox = {p.name for p in expand_paths([cases["good"][0].parent])}
    assert {"passwd.xlsx", "pipe.xlsx", "zero.xlsx", "linkdir", "fifodir"} <= inbox


@pytest.mark.parametrize("name", ["ods_as_xlsx", "xlsb_as_xlsx", "xls_as_xlsx", "semicolon_csv",
                                  "semicolon_one_sheet", "tab_csv_zip", "zip_link_member", "zip_device_member"])
def test_the_reader_names_the_wrong_format_or_the_unsafe_member(cases, admin, name):
    path, check, value = cases[name]
    result = read_submission(path, admin, Settings())
    errors = [(f.check_name, f.value) for f in result.findings if f.severity == "error"]
    assert (check, value) in errors, errors
    assert {c for c, _ in errors} == {check}  # no "sheet missing" / "no header row" beside it
    hit = next(f for f in result.findings if f.check_name == check)
    if check == "wrong_format":
        assert (".xlsx" in hit.message_en) if not value.startswith("csv") else ("comma" in hit.message_en)
        assert "Lưu" in hit.message_vi or "lưu" in hit.message_vi


def test_a_password_protected_workbook_is_not_called_xls(tmp_path, admin):
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le"))
    result = read_submission(enc, admin, Settings())
    assert [f.check_name for f in result.findings] == ["file_unreadable"]


def test_a_good_comma_csv_folder_is_not_misnamed(csv_subs, admin):
    result = read_submission(csv_subs[0], admin, Settings())
    assert not result.rejected, result.findings


def test_a_file_gone_since_it_was_listed_is_refused_alone(tmp_path):
    with pytest.raises(Refused) as refused:
        archive(tmp_path / "gone.xlsx", tmp_path / "archive", LIMIT)
    assert [f.check_name for f in refused.value.findings] == ["file_unreadable"]
