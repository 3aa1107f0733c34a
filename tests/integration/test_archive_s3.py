"""The archive and the inbox on S3-compatible object storage (moto in server mode, a real HTTP
endpoint): archive put / get / dedup by hash, the remote inbox listed and read, `ntm ingest` and
`ntm run --month` with the archive on S3 giving the same warehouse as with local folders, and the
failure paths (a missing bucket, an unreachable endpoint): one line naming the URL, exit 2."""

from __future__ import annotations

import hashlib
import socket
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest import pipeline
from ingest.cli.main import main
from ingest.intake import storage
from ingest.intake.archive import archive
from ingest.store.db import migrate_all
from tests.fixtures.database import create_database, drop_database
from tests.fixtures.s3 import S3Server, comparable_marts

MONTH = date(2023, 5, 1)


@pytest.fixture(scope="module")
def month_files(tmp_path_factory) -> Path:
    """Province 27's submissions of May 2023 in `<root>/2023-05/`."""
    from ingest.devtools.generate import generate

    root = tmp_path_factory.mktemp("inbox")
    generate("27", [MONTH], root, seed=5)
    return root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_archive_put_get_and_dedup_by_hash(s3_env: S3Server, month_files: Path, tmp_path: Path) -> None:
    at = s3_env.prefix("archive")
    first = sorted((month_files / "2023-05").iterdir())[0]
    stored = archive(first, at)
    sha = _sha(first)
    assert stored.sha256 == sha and stored.bytes == first.stat().st_size
    assert stored.archive_path == f"{at}/{sha[:2]}/{sha}.xlsx"
    # the same bytes under another name: the same object, not a second one
    copy = tmp_path / "renamed.xlsx"
    copy.write_bytes(first.read_bytes())
    assert archive(copy, at).archive_path == stored.archive_path
    assert s3_env.keys(at) == [stored.archive_path.removeprefix(f"s3://{s3_env.bucket}/")]
    # a CSV folder is archived as its deterministic zip
    folder = tmp_path / "2023-05_258_v1"
    folder.mkdir()
    (folder / "thong_tin.csv").write_text("key,value\nversion,1\n", encoding="utf-8")
    zipped = archive(folder, at, 1 << 20)
    assert zipped.archive_path.endswith(".zip") and zipped.file_format == "csv_dir"
    assert archive(folder, at, 1 << 20).archive_path == zipped.archive_path
    # read back through a temporary local copy, removed afterwards
    with storage.fetched([stored.archive_path, str(first)]) as [local, same]:
        assert _sha(local) == sha and same == first
        fetched_at = local
    assert not fetched_at.exists()
    assert len(s3_env.keys(at)) == 2


def test_the_remote_inbox_is_listed_and_read(s3_env: S3Server, month_files: Path, tmp_path: Path) -> None:
    inbox = s3_env.prefix("inbox")
    s3_env.upload(month_files, inbox)
    csv_dir = tmp_path / "feed"
    csv_dir.mkdir()
    (csv_dir / "thong_tin.csv").write_text("key,value\n", encoding="utf-8")
    s3_env.upload(csv_dir, f"{inbox}/2023-05/zz_feed")
    (tmp_path / ".hidden").write_bytes(b"x")
    s3_env.upload(tmp_path / ".hidden", f"{inbox}/2023-05/.hidden")

    found = pipeline.discover(inbox, MONTH)
    names = sorted(p.name for p in (month_files / "2023-05").iterdir())
    assert found == [f"{inbox}/2023-05/{n}" for n in names] + [f"{inbox}/2023-05/zz_feed"]
    assert pipeline.discover(inbox, date(2023, 6, 1)) == []
    assert pipeline.month_folder(inbox, MONTH) == f"{inbox}/2023-05"
    with storage.fetched([found[0], found[-1]]) as [workbook, folder]:
        assert workbook.read_bytes() == (month_files / "2023-05" / names[0]).read_bytes()
        assert (folder / "thong_tin.csv").read_text(encoding="utf-8") == "key,value\n"


def test_the_watcher_finds_a_correction_in_a_remote_inbox_once(s3_env: S3Server, month_files: Path, url: str,
                                                                tmp_path: Path) -> None:
    from ingest.pipeline.corrections import waiting
    from tests.fixtures.pipeline import with_version

    inbox = s3_env.prefix("watch")
    first = next(p for p in sorted((month_files / "2023-05").iterdir()) if p.suffix == ".xlsx")
    s3_env.upload(first, f"{inbox}/2023-05/{first.name}")
    assert waiting(inbox, url) == {}                        # no run for the month yet: its run will read it
    time.sleep(1.1)                                         # LastModified counts whole seconds
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO audit.pipeline_run (dag_id, logical_month, state, started_at) "
                     "VALUES ('ntm_monthly', '2023-05-01', 'success', now())")
    assert waiting(inbox, url) == {}                        # uploaded before the run started
    time.sleep(1.1)
    local = with_version(first, 2, tmp_path / first.name.replace("_v1", "_v2"))
    correction = f"{inbox}/2023-05/{local.name}"
    s3_env.upload(local, correction)
    s3_env.upload(first, f"{inbox}/2023-05/copy_of_{first.name}")   # new object, bytes of the first: also new
    assert waiting(inbox, url) == {"2023-05": sorted([correction, f"{inbox}/2023-05/copy_of_{first.name}"])}
    outcomes = pipeline.ingest_paths([correction], url, build_docs=False)
    assert [o.status for o in outcomes] == ["accepted"]
    assert waiting(inbox, url) == {"2023-05": [f"{inbox}/2023-05/copy_of_{first.name}"]}
    pipeline.ingest_paths([f"{inbox}/2023-05/copy_of_{first.name}"], url, build_docs=False)
    assert waiting(inbox, url) == {}                        # each received once: never again
    assert not list(Path(tempfile.gettempdir()).glob("ntm-fetch-*/0/*_v2.xlsx"))   # no copy left behind


@pytest.fixture
def two_warehouses(server_url: str):
    urls = [create_database(server_url, prefix="ntm_s3") for _ in range(2)]
    for url in urls:
        migrate_all(url)
    yield urls
    for url in urls:
        drop_database(server_url, url)


def test_ingest_and_run_with_the_archive_on_s3_give_the_same_warehouse(
        s3_env: S3Server, month_files: Path, two_warehouses: list[str], tmp_path: Path, monkeypatch, capsys) -> None:
    local_db, s3_db = two_warehouses
    monkeypatch.setenv("NTM_PROVINCES", "27")
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "local"))
    started = time.monotonic()
    assert main(["run", "--database-url", local_db, "--month", "2023-05", "--inbox", str(month_files)]) == 0
    local_s = time.monotonic() - started

    archive_at, inbox = s3_env.prefix("archive"), s3_env.prefix("inbox")
    s3_env.upload(month_files, inbox)
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "s3"))
    monkeypatch.setenv("NTM_ARCHIVE_URL", archive_at)
    # one file by `ntm ingest` first (from a local path), the rest of the month by `ntm run` from the S3 inbox
    first = sorted((month_files / "2023-05").iterdir())[0]
    assert main(["ingest", "--database-url", s3_db, "--no-docs", str(first)]) == 0
    started = time.monotonic()
    assert main(["run", "--database-url", s3_db, "--month", "2023-05", "--inbox", inbox]) == 0
    s3_s = time.monotonic() - started
    capsys.readouterr()

    with psycopg.connect(s3_db) as conn:
        rows = conn.execute("SELECT sha256, archive_path, status FROM audit.submission ORDER BY 1").fetchall()
    files = list((month_files / "2023-05").iterdir())
    assert len(rows) == len(files) + 1                 # the file ingested first comes again: a duplicate
    assert {r[2] for r in rows} == {"accepted", "duplicate"}
    assert all(path == f"{archive_at}/{sha[:2]}/{sha}.xlsx" for sha, path, _ in rows)
    assert len(s3_env.keys(archive_at)) == len(files)   # stored once per hash
    assert not (tmp_path / "s3" / "archive").exists()   # nothing archived on this machine's disk
    assert comparable_marts(s3_db) == comparable_marts(local_db)
    assert comparable_marts(s3_db)["mart_progress"][0] > 0
    print(f"ntm run: local {local_s:.1f} s, archive and inbox on S3 {s3_s:.1f} s")


def test_a_missing_bucket_is_one_line_naming_the_url(s3_env: S3Server, url: str, month_files: Path,
                                                      monkeypatch, capsys) -> None:
    missing = "s3://no-such-bucket-ntm/archive"
    monkeypatch.setenv("NTM_ARCHIVE_URL", missing)
    first = sorted((month_files / "2023-05").iterdir())[0]
    assert main(["ingest", "--database-url", url, "--no-docs", str(first)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and missing in err and "not found" in err
    with psycopg.connect(url) as conn:       # stopped before anything was recorded
        assert conn.execute("SELECT count(*) FROM audit.submission").fetchone()[0] == 0
    monkeypatch.delenv("NTM_ARCHIVE_URL")
    assert main(["run", "--database-url", url, "--month", "2023-05",
                 "--inbox", "s3://no-such-bucket-ntm/inbox"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s3://no-such-bucket-ntm/inbox/2023-05" in err


def test_an_unreachable_endpoint_is_one_line_exit_2(s3_env: S3Server, url: str, month_files: Path,
                                                    monkeypatch, capsys) -> None:
    with socket.socket() as s:      # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    archive_at = s3_env.prefix("archive")
    monkeypatch.setenv("NTM_ARCHIVE_URL", archive_at)
    first = sorted((month_files / "2023-05").iterdir())[0]
    started = time.monotonic()
    assert main(["ingest", "--database-url", url, "--no-docs", str(first)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and archive_at in err and f"127.0.0.1:{port}" in err
    assert time.monotonic() - started < 60
