"""ingest.warehouse.build: URL → dbt profile variables, failure reporting, docs generation."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build, dbt_env, docs_generate
from tests.fixtures.warehouse import Commune, add_communes, add_submission, commune_codes


def test_dbt_env_from_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGOPTIONS", raising=False)
    monkeypatch.delenv("NTM_DBT_WORK_MEM", raising=False)
    assert dbt_env("postgresql://ntm:test_secret@db.example:6543/warehouse") == {
        "DBT_HOST": "db.example", "DBT_PORT": "6543", "DBT_USER": "ntm", "DBT_PASSWORD": "test_secret",
        "DBT_DBNAME": "warehouse", "PGOPTIONS": "-c work_mem=256MB -c jit=off"}


def test_dbt_sessions_get_the_work_mem_and_keep_the_callers_options(database_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.warehouse.build import _invoke

    monkeypatch.setenv("NTM_DBT_WORK_MEM", "96MB")
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=123s")
    res, _ = _invoke(database_url, ["show", "--inline", "select current_setting('work_mem') as work_mem, "
                                    "current_setting('statement_timeout') as timeout, current_setting('jit') as jit"],
                     None)
    assert res.success, res.exception
    row = res.result.results[0].agate_table.rows[0]
    assert (row["work_mem"], row["timeout"], row["jit"]) == ("96MB", "123s", "off")


@pytest.mark.parametrize("level, logged", [("info", False), ("debug", True)])
def test_dbt_log_file_has_the_statements_only_at_debug(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                      level: str, logged: bool) -> None:
    import uuid

    from ingest.config import load_settings
    from ingest.warehouse.build import _invoke

    marker = f"log_marker_{uuid.uuid4().hex}"
    monkeypatch.setenv("NTM_DBT_LOG_LEVEL", level)
    log_file = load_settings().dbt_log_dir / "dbt.log"
    before = log_file.stat().st_size if log_file.exists() else 0
    res, _ = _invoke(database_url, ["show", "--inline", f"select 1 as {marker}"], None)
    assert res.success, res.exception
    with log_file.open("rb") as f:   # what this invocation wrote (dbt.log keeps earlier runs)
        f.seek(before if log_file.stat().st_size >= before else 0)  # unless dbt rotated the file
        log = f.read().decode("utf-8", errors="replace")
    assert (marker in log) is logged
    assert "Running with dbt=" in log  # the file log itself is kept at info


def test_a_bad_work_mem_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.config import ConfigError

    monkeypatch.setenv("NTM_DBT_WORK_MEM", "lots")
    with pytest.raises(ConfigError, match="NTM_DBT_WORK_MEM"):
        dbt_env("postgresql://ntm@db.example/warehouse")


def test_dbt_env_defaults_and_socket() -> None:
    env = dbt_env("postgresql://postgres@/ntm?host=/var/run/postgresql")
    assert env["DBT_HOST"] == "/var/run/postgresql"
    assert env["DBT_PORT"] == "5432"
    assert env["DBT_DBNAME"] == "ntm"


def test_dbt_env_needs_a_database() -> None:
    with pytest.raises(ValueError, match="names no database"):
        dbt_env("postgresql://postgres@localhost:5432")


def test_build_reports_an_unreachable_database(database_url: str) -> None:
    bad = database_url.rsplit("/", 1)[0] + "/no_such_database_here"
    result = build(bad, select=["dim_month"])
    assert result.success is False
    assert result.failures and "no_such_database_here" in " ".join(str(f) for f in result.failures)


def test_build_reports_failing_tests_by_node(fresh_database_url: str) -> None:
    """A raw row that breaks a mart test: success is False and the failure names the test."""
    load_reference_table(fresh_database_url)         # only xã in force reach the marts
    with psycopg.connect(fresh_database_url) as conn:
        sid = add_submission(conn, "395", "38", date(2023, 5, 1))
        add_communes(conn, sid, [Commune(commune_codes(fresh_database_url, "395")[0], 19, "bogus_title")])
    lines: list[str] = []
    result = build(fresh_database_url, progress=lines.append)
    assert result.success is False
    names = {f.node for f in result.failures}
    assert any("ntm_title" in n for n in names), names
    assert all(f.status == "fail" for f in result.failures)
    assert result.counts["fail"] == len(result.failures)
    assert any(line.startswith("FAIL") and "ntm_title" in line for line in lines)


def test_docs_generate_offline(database_url: str) -> None:
    target = docs_generate(database_url)
    assert (target / "index.html").exists()
    assert (target / "catalog.json").exists()
    manifest = (target / "manifest.json").read_text(encoding="utf-8")
    assert "exposure.ntm.monthly_progress_bulletin" in manifest


def test_a_macro_edited_after_a_parse_does_not_break_the_next_build(database_url: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt 1.11 keeps a saved parse that no longer matches the project after an edit of
    macros/test_window.sql (an upgrade of the platform): every later run failed with "... depends
    on ... which is not in the graph!" until target/partial_parse.msgpack was removed by hand."""
    from ingest.warehouse import build as warehouse_build

    project = _project_copy(tmp_path, monkeypatch)
    first, _ = warehouse_build._invoke(database_url, ["ls", "--resource-type", "model", "--select", "dim_month"], None)
    assert first.success
    assert (project / "target" / "partial_parse.msgpack").exists()
    with (project / "macros" / "test_window.sql").open("a", encoding="utf-8") as f:
        f.write("{#- edited after the last parse -#}\n")
    again, _ = warehouse_build._invoke(database_url, ["ls", "--resource-type", "model", "--select", "dim_month"], None)
    assert again.exception is None and again.success
    assert [str(n) for n in again.result] == ["ntm.marts.dim_month"]


def _project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from ingest.warehouse import build as warehouse_build

    project = tmp_path / "dbt_project"
    shutil.copytree(warehouse_build.project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(warehouse_build, "project_dir", lambda: project)
    monkeypatch.setenv("NTM_DBT_TARGET_DIR", str(project / "target"))
    monkeypatch.setenv("NTM_DBT_LOG_DIR", str(project / "logs"))
    return project


def _full_parses(project: Path) -> list[str]:
    """Per dbt invocation that parsed the whole project, the first reason dbt logged."""
    runs = (project / "logs" / "dbt.log").read_text(encoding="utf-8").split("Running with dbt=")[1:]
    reasons = [[line.split("]: ", 1)[1] for line in run.splitlines() if "Unable to do partial parsing" in line]
               for run in runs]
    return [r[0] for r in reasons if r]


def test_each_database_keeps_its_own_parse(database_url: str, fresh_database_url: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds of two databases in turn parse the project once per database, not once per build
    (dbt's one saved parse is for the last database: 3-6 s of parsing each time it changes)."""
    from ingest.warehouse.build import _invoke

    project = _project_copy(tmp_path, monkeypatch)
    ls = ["ls", "--resource-type", "model", "--select", "dim_month"]
    for url in (database_url, fresh_database_url, database_url, fresh_database_url, database_url):
        res, _ = _invoke(url, ls, None)
        assert res.success and [str(n) for n in res.result] == ["ntm.marts.dim_month"]
    assert _full_parses(project) == ["Unable to do partial parsing because saved manifest not found. Starting full parse.",
                                     "Unable to do partial parsing because profile has changed"]
    assert len(list((project / "target" / "parses").glob("*.msgpack"))) == 2

    monkeypatch.setenv("NTM_PROVINCES", "27")        # other vars: a parse of their own, then reused
    for _ in range(2):
        assert _invoke(database_url, ls, None)[0].success
    assert len(_full_parses(project)) == 3
    assert len(list((project / "target" / "parses").glob("*.msgpack"))) == 3


def test_a_saved_parse_of_another_database_is_parsed_afresh(database_url: str, fresh_database_url: str,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved parse that does not match (copied, or replaced by a parallel build) costs a full
    parse, never a build against the wrong database; the right parse is then kept."""
    from ingest.warehouse.build import _invoke

    project = _project_copy(tmp_path, monkeypatch)
    ls = ["ls", "--resource-type", "model", "--select", "dim_month"]
    assert _invoke(database_url, ls, None)[0].success
    assert _invoke(fresh_database_url, ls, None)[0].success
    saved = {p.stat().st_mtime_ns: p for p in (project / "target" / "parses").glob("*.msgpack")}
    first, second = (saved[k] for k in sorted(saved))
    shutil.copyfile(first, second)                   # the fresh database's slot now holds the other's parse
    res, _ = _invoke(fresh_database_url, ["run", "--select", "+dim_month"], None)
    assert res.success
    assert _full_parses(project)[-1] == "Unable to do partial parsing because profile has changed"
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT count(*) > 0 FROM marts.dim_month").fetchone()[0]
    assert _invoke(fresh_database_url, ls, None)[0].success
    assert len(_full_parses(project)) == 3           # kept: no parse the second time
