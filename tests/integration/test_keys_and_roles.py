"""Issue 14, classes 5 and 6: implausible keys are rejected with a finding on thong_tin that
names the column and the value (and never block the correction that follows); the loader role
does the loader's whole job; pending migrations and an unreachable database are one line, exit 2."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest.cli.main import main
from ingest.store import statements as store
from tests.fixtures.keys import UNREACHABLE, with_keys

NEXT_YEAR = f"{date.today().year + 1}-01"
# case: (district index in good_dirs, thong_tin changes, expected check, column)
BAD_KEYS = {
    "version_0": (0, {"version": "0"}, "bad_number", "version"),
    "version_1000": (0, {"version": "1000"}, "implausible_version", "version"),
    "version_int_max": (0, {"version": "2147483647"}, "implausible_version", "version"),
    "version_huge": (0, {"version": "99999999999999"}, "bad_number", "version"),  # beyond int64
    "period_1990": (1, {"period": "1990-01"}, "period_before_programme", "period"),
    "period_2009_12": (1, {"period": "2009-12"}, "period_before_programme", "period"),
    "period_next_year": (1, {"period": NEXT_YEAR}, "future_period", "period"),
    "set_2021_in_2021": (1, {"period": "2021-06", "criteria_set": "2021-2025"}, "criteria_set_not_in_force",
                         "criteria_set"),
    "set_2016_in_2012": (1, {"period": "2012-06", "criteria_set": "2016-2020"}, "criteria_set_not_in_force",
                         "criteria_set"),
}


def _ingest(url: str, paths: list[Path], capsys) -> tuple[int, list[dict]]:
    import json

    capsys.readouterr()
    code = main(["ingest", "--database-url", url, "--no-docs", "--json", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)


def test_implausible_keys_are_rejected_beside_good_files(url, good_dirs, tmp_path, capsys):
    paths = [with_keys(good_dirs[i], tmp_path / name, **change) for name, (i, change, _, _) in BAD_KEYS.items()]
    good = [good_dirs[0], good_dirs[2]]  # 0: the same unit as the bad versions, version 1
    code, outs = _ingest(url, [*paths, *good], capsys)
    assert code == 1
    for name, out in zip(BAD_KEYS, outs, strict=False):
        _, change, check, column = BAD_KEYS[name]
        assert out["status"] == "rejected", (name, out)
        hits = [f for f in out["findings"] if f["check_name"] == check and f["severity"] == "error"]
        assert hits, (name, [f["check_name"] for f in out["findings"]])
        assert hits[0]["sheet"] == "thong_tin" and hits[0]["column_name"] == column, (name, hits[0])
        assert hits[0]["value"] in change.values() or column == "version", (name, hits[0])
        assert hits[0]["message_en"] and hits[0]["message_vi"]
        if column == "version" and check == "implausible_version":
            assert hits[0]["value"] == change["version"] and out["version"] is None  # never counted
    assert [o["status"] for o in outs[-2:]] == ["accepted", "accepted"]
    with psycopg.connect(url) as conn:
        loaded = {r[0] for r in conn.execute("SELECT DISTINCT submission_id FROM raw.thong_tin")}
    assert loaded == {o["submission_id"] for o in outs[-2:]}


def test_a_version_far_above_the_highest_is_rejected_and_correction_stays_possible(url, good_dirs, tmp_path,
                                                                                   capsys):
    unit = good_dirs[3]
    code, first = _ingest(url, [unit], capsys)                      # version 1 of the unit, accepted
    assert code == 0 and first[0]["status"] == "accepted"
    jump = with_keys(unit, tmp_path / "v7", version="7")             # highest 1 + 6
    new_unit_v6 = with_keys(good_dirs[4], tmp_path / "first_v6", version="6")  # nothing received: 0 + 6
    code, outs = _ingest(url, [jump, new_unit_v6, good_dirs[5]], capsys)
    assert code == 1
    for out, value in zip(outs[:2], ("7", "6"), strict=True):
        assert out["status"] == "rejected", out
        gap = [f for f in out["findings"] if f["check_name"] == "version_gap"]
        assert gap and gap[0]["sheet"] == "thong_tin" and gap[0]["column_name"] == "version"
        assert gap[0]["value"] == value and "send version" in gap[0]["message_en"]
    assert outs[2]["status"] == "accepted"
    with psycopg.connect(url) as conn:
        assert store.submission(conn, outs[0]["submission_id"])["version"] is None
    ok = [with_keys(unit, tmp_path / "v6", version="6"), with_keys(good_dirs[4], tmp_path / "v5", version="5")]
    code, outs = _ingest(url, ok, capsys)                           # 1 + 5 and 0 + 5: within the gap
    assert code == 0 and [o["status"] for o in outs] == ["accepted", "accepted"]


def test_a_monthly_run_rejects_implausible_keys_and_loads_the_good_file(url, good_dirs, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    month_dir = inbox / "2023-05"
    month_dir.mkdir(parents=True)
    with_keys(good_dirs[0], month_dir / "int_max", version="2147483647")
    with_keys(good_dirs[1], month_dir / "p1990", period="1990-01")
    with_keys(good_dirs[3], month_dir / "v6", version="6")
    import shutil

    shutil.copytree(good_dirs[2], month_dir / "good")
    code = main(["run", "--database-url", url, "--month", "2023-05", "--inbox", str(inbox), "--json"])
    assert code == 1
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute(
            "SELECT s.file_name, string_agg(DISTINCT coalesce(f.check_name, s.status), ',') FROM audit.submission s"
            " LEFT JOIN audit.finding f ON f.submission_id = s.submission_id AND f.severity = 'error'"
            " GROUP BY s.file_name").fetchall())
        statuses = dict(conn.execute("SELECT file_name, status FROM audit.submission").fetchall())
    assert statuses == {"int_max": "rejected", "p1990": "rejected", "v6": "rejected", "good": "accepted"}, statuses
    assert "implausible_version" in rows["int_max"] and "period_before_programme" in rows["p1990"]
    assert "version_gap" in rows["v6"]


# --- class 6: least privilege, pending migrations, unreachable database ---------------------


def test_the_loader_role_ingests_good_and_bad_files(loader_url, good_dirs, tmp_path, capsys):
    bad = with_keys(good_dirs[1], tmp_path / "bad", version="2147483647")
    code, outs = _ingest(loader_url, [good_dirs[0], bad], capsys)
    assert code == 1
    assert [o["status"] for o in outs] == ["accepted", "rejected"]
    code, outs = _ingest(loader_url, [with_keys(good_dirs[0], tmp_path / "v2", version="2")], capsys)
    assert code == 0 and outs[0]["status"] == "accepted"   # a correction: supersedes version 1


def test_a_pending_migration_as_the_loader_names_the_role_needed(url, loader_url, good_dirs, capsys):
    with psycopg.connect(url, autocommit=True) as conn:
        owner = conn.execute("SELECT current_user").fetchone()[0]
        conn.execute("DELETE FROM meta.schema_migration WHERE name = '0013_loader_reads_migrations.sql'")
    capsys.readouterr()
    code = main(["ingest", "--database-url", loader_url, "--no-docs", str(good_dirs[0])])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "0013_loader_reads_migrations.sql" in err and owner in err and "ntm db migrate" in err
    assert "Traceback" not in err
    code = main(["db", "migrate", "--database-url", loader_url])      # the same, asked for directly
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and owner in err, err


def test_a_schema_the_loader_cannot_read_names_the_role_needed(url, loader_url, good_dirs, capsys):
    """A database migrated before 0013: the loader may not read meta.schema_migration."""
    with psycopg.connect(url, autocommit=True) as conn:
        owner = conn.execute("SELECT current_user").fetchone()[0]
        conn.execute("REVOKE USAGE ON SCHEMA meta FROM ntm_loader")
    capsys.readouterr()
    code = main(["ingest", "--database-url", loader_url, "--no-docs", str(good_dirs[0])])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "meta.schema_migration" in err and owner in err and "Traceback" not in err
    code = main(["ingest", "--database-url", url, "--no-docs", str(good_dirs[0])])  # the owner: fine
    assert code == 0


@pytest.mark.parametrize("argv", [
    ["ingest", "--no-docs", "{path}"], ["status", "--month", "2023-05"], ["run", "--month", "2023-05",
                                                                            "--inbox", "{inbox}"],
    ["transform", "--no-docs"], ["audit", "--month", "2023-05"]])
def test_an_unreachable_database_is_one_line_and_exit_2(argv, good_dirs, tmp_path, capsys):
    args = [a.format(path=good_dirs[0], inbox=tmp_path) for a in argv]
    capsys.readouterr()
    code = main([*args, "--database-url", UNREACHABLE])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("ntm: error: cannot reach the database") and "Traceback" not in err


def test_the_loader_role_keeps_every_received_submission(url, loader_url):
    """Migration 0024: the loader updates a submission's status but cannot delete it (every
    received file stays in the audit trail; the raw rows' link to it is checked per statement)."""
    from tests.fixtures.warehouse import add_submission

    with psycopg.connect(url) as conn:
        sid = add_submission(conn, "395", "38", date(2023, 3, 1), status="rejected")
    with psycopg.connect(loader_url) as conn:
        conn.execute("UPDATE audit.submission SET status_reason = 'checked' WHERE submission_id = %s", (sid,))
    with psycopg.connect(loader_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM audit.submission WHERE submission_id = %s", (sid,))
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT status_reason FROM audit.submission WHERE submission_id = %s",
                            (sid,)).fetchone() == ("checked",)

