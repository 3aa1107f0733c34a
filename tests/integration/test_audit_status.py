"""`ntm status` reads the live audit tables (no dbt build has run on this database: the coverage
mart does not even exist), names units as well as codes, shows Vietnam time to the second, and
counts on-time and late apart; `run_detail` is what audit.pipeline_run.detail keeps.

The batch (tests/fixtures/audit.py): Bắc Ninh 2023-05, six districts with xã expected;
258 and 259 rejected, 262 not a workbook (rejected, month and unit from its name), 260 received
3 June 10:00 (on time: the deadline is 5 June), 263 received 20 June (late), 264 sent nothing."""

from __future__ import annotations

import json
import re
from datetime import date

import psycopg

from ingest.cli.main import main
from ingest.store.audit_history import live_coverage, run_detail
from ingest.store.pipeline_runs import finish_pipeline_run, open_pipeline_run, pipeline_run
from tests.fixtures.audit import MAY

BAC_NINH = ("27",)   # the deployment's provinces (NTM_PROVINCES=27): unset would expect the whole country
EXPECTED = {"258": "rejected", "259": "rejected", "260": "accepted", "262": "rejected", "263": "late",
            "264": "missing"}


def test_live_coverage_without_any_dbt_build(hostile_audit) -> None:
    with psycopg.connect(hostile_audit["url"]) as conn:
        assert conn.execute("SELECT to_regclass('marts.mart_submission_coverage')").fetchone()[0] is None
        rows = live_coverage(conn, MAY, BAC_NINH)
    assert {r["district_code"]: r["status"] for r in rows} == EXPECTED
    by_unit = {r["district_code"]: r for r in rows}
    assert by_unit["262"]["files"] == 1 and by_unit["262"]["files_rejected"] == 1
    assert by_unit["260"]["version_in_force"] == 1 and by_unit["260"]["deadline"] == date(2023, 6, 5)
    assert by_unit["263"]["district_name"] == "Huyện Gia Bình" and by_unit["263"]["province_name"] == "Tỉnh Bắc Ninh"


def test_ntm_status_names_units_local_time_and_counts_on_time_and_late_apart(hostile_audit, capsys,
                                                                            monkeypatch) -> None:
    monkeypatch.setenv("NTM_PROVINCES", "27")
    assert main(["status", "--database-url", hostile_audit["url"], "--month", "2023-05"]) == 0
    out = capsys.readouterr().out
    assert "Huyện Tiên Du (260)" in out and "Tỉnh Bắc Ninh (27)" in out and "Huyện Lương Tài (264)" in out
    assert "03/06/2023 10:00:00" in out and "20/06/2023 10:00:00" in out      # Vietnam time, no microseconds
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", out)
    assert ("6 expected: 1 on time, 1 late, 1 missing, 3 rejected; 1 file(s) rejected before their period "
            "was read (counted by the file name)") in out


def test_ntm_status_json_and_default_month(hostile_audit, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NTM_PROVINCES", "27")
    assert main(["status", "--database-url", hostile_audit["url"], "--json"]) == 0   # the latest month: 2023-05
    data = json.loads(capsys.readouterr().out)
    assert {u["district_code"]: u["status"] for u in data} == EXPECTED
    assert {u["district_code"]: u["district_name"] for u in data}["260"] == "Huyện Tiên Du"
    assert {u["district_code"]: u["received_at"] for u in data}["263"].startswith("2023-06-20 03:00:00")


def test_run_detail_keeps_late_missing_and_rejected_units(hostile_audit) -> None:
    ids = hostile_audit["ids"]
    with psycopg.connect(hostile_audit["url"]) as conn:
        detail = run_detail(conn, MAY, BAC_NINH)
        run = open_pipeline_run(conn, "cli", MAY, None)
        finish_pipeline_run(conn, run, "success", detail)
        _, stored = pipeline_run(conn, run)
    cov = stored["coverage"]
    assert cov["month"] == "2023-05" and cov["expected"] == 6
    assert [u["unit"] for u in cov["on_time"]] == ["260"]
    assert [(u["unit"], u["name"]) for u in cov["late"]] == [("263", "Huyện Gia Bình")]
    assert cov["late"][0]["received_at"].startswith("2023-06-20T03:00:00")          # 10:00 in Vietnam
    assert [u["unit"] for u in cov["missing"]] == ["264"]
    assert [(u["unit"], [f["submission_id"] for f in u["files"]]) for u in cov["rejected"]] == [
        ("258", [ids["258"]]), ("259", [ids["259"]]), ("262", [ids["262"]])]
    assert (cov["on_time_count"], cov["late_count"], cov["missing_count"], cov["rejected_count"]) == (1, 1, 1, 3)
    assert cov["rejected_before_period"] == 1


def test_live_coverage_agrees_with_the_mart(coverage_builds, module_database_url) -> None:
    """The coverage scenario of tests/fixtures/coverage.py (on time by Vietnam's day, duplicates
    and unreadable files counted by their name, corrections, backfills, a month nobody sent): the
    live function gives each unit the mart's status, for each province setting."""
    from tests.fixtures.coverage import APRIL, JULY_2025, MARCH_2019, MAY

    settings = {"27": ("27",), "": None, "all": ("all",)}
    with psycopg.connect(module_database_url) as conn:
        for setting, provinces in settings.items():
            mart = coverage_builds[setting]
            for m in (APRIL, MAY, MARCH_2019, JULY_2025):
                live = {r["district_code"]: (r["status"], r["version_in_force"], r["latest_version"])
                        for r in live_coverage(conn, m, provinces)}
                built = {u: (r["status"], r["version_in_force"], r["latest_version"])
                         for (month, u), r in mart.items() if month == m}
                assert live == built, (setting, m, {k: (live.get(k), built.get(k)) for k in live.keys() ^ built.keys()
                                                    or [k for k in live if live[k] != built.get(k)]})
