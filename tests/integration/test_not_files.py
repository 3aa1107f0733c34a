"""Files that are not files and wrong formats, each beside a good file in one batch, through
`ntm ingest` and a monthly run (`ntm run --month`, NTM_INBOX a tmp inbox): the good files are
accepted, every bad one is rejected with its finding (`unsafe_file`, `file_too_large`,
`wrong_format` with the detected format), nothing hangs or aborts, and the archive never holds a
link's target."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from ingest.cli.main import main
from tests.fixtures.not_files import LIMIT_MB, OUTSIDE_MARKER, build_cases

REFUSED_ON_RECEIPT = {"unsafe_file", "file_too_large"}


def _check(url: str, cases: dict, by_name: dict[str, dict], state: Path) -> None:
    with psycopg.connect(url) as conn:
        for name, (_path, check, value) in cases.items():
            out = by_name[name]
            if check == "accepted":
                assert out["status"] == "accepted", (name, out["findings"])
                continue
            assert out["status"] == "rejected", (name, out)
            errors = [(f["check_name"], f["value"]) for f in out["findings"] if f["severity"] == "error"]
            assert any(c == check and (not value or v == value) for c, v in errors), (name, errors)
            assert all(f["message_vi"] and f["message_en"] for f in out["findings"])
            row = conn.execute("SELECT archive_path, status FROM audit.submission WHERE submission_id = %s",
                               (out["submission_id"],)).fetchone()
            if check in REFUSED_ON_RECEIPT and name not in ("zip_link_member", "zip_device_member"):
                assert row == ("", "rejected"), name
        loaded = {r[0] for r in conn.execute("SELECT DISTINCT submission_id FROM raw.thong_tin")}
    assert loaded == {by_name["good"]["submission_id"], by_name["at_limit"]["submission_id"]}
    for kept in (state / "archive").rglob("*"):
        if kept.is_file():
            data = kept.read_bytes()
            assert b"root:x:0:0" not in data and OUTSIDE_MARKER.encode() not in data, kept


@pytest.mark.timeout(900)
def test_ntm_ingest_refuses_what_is_not_a_file_and_names_wrong_formats(url, csv_subs, tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setenv("NTM_MAX_FILE_MB", str(LIMIT_MB))
    cases = build_cases(csv_subs, tmp_path / "sent")
    cases["dev_zero_path"] = (Path("/dev/zero"), "unsafe_file", "zero")
    code = main(["ingest", "--database-url", url, "--no-docs", "--json", *[str(p) for p, _, _ in cases.values()]])
    assert code == 1
    outs = json.loads(capsys.readouterr().out)
    by_name = dict(zip(cases, outs, strict=True))
    _check(url, cases, by_name, tmp_path / "state")


@pytest.mark.timeout(1800)
def test_monthly_run_with_links_pipes_and_wrong_formats_in_the_inbox(url, csv_subs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NTM_MAX_FILE_MB", str(LIMIT_MB))
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("NTM_INBOX", str(inbox))
    cases = build_cases(csv_subs, inbox / "2023-05")
    code = main(["run", "--database-url", url, "--month", "2023-05", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["dbt_success"], summary
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT file_name, submission_id FROM audit.submission").fetchall()
    ids = dict(rows)
    assert len(ids) == len(cases)
    from ingest.pipeline.submissions import outcomes

    names = {name: path.name for name, (path, _, _) in cases.items()}
    outs = {o.file_name: o.as_dict() for o in outcomes(url, list(ids.values()))}
    _check(url, cases, {name: outs[names[name]] for name in cases}, tmp_path / "state")


def test_a_refusal_received_again_is_a_duplicate_and_never_opened(url, tmp_path):
    import os

    from ingest import pipeline

    os.mkfifo(tmp_path / "pipe.xlsx")
    (tmp_path / "passwd.xlsx").symlink_to("/etc/passwd")
    paths = [str(tmp_path / "pipe.xlsx"), str(tmp_path / "passwd.xlsx")]
    first = pipeline.receive(paths, url)
    again = pipeline.receive(paths, url)
    with psycopg.connect(url) as conn:
        status = dict(conn.execute("SELECT submission_id, status FROM audit.submission").fetchall())
        duplicate_of = [conn.execute("SELECT duplicate_of FROM audit.submission WHERE submission_id = %s",
                                     (sid,)).fetchone()[0] for sid in again]
    assert [status[s] for s in first] == ["rejected", "rejected"]
    assert [status[s] for s in again] == ["duplicate", "duplicate"] and duplicate_of == first
