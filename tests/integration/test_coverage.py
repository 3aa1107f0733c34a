"""Coverage that tells the truth (marts.md "Timeliness", "Who is expected"), on a real PostgreSQL.

The warehouse side: `mart_submission_coverage` built by dbt from audit.submission rows written
here as the pipeline writes them, for Bắc Ninh (27) and Hà Nội's Ba Đình (001), with the
deployment's provinces configured three ways (NTM_PROVINCES=27, unset = the whole country, all). The ingest side:
the real reader and loader record the declared date, the backfill flag and the unit a file name
names. Expected values are worked out by hand in the comments.

Bắc Ninh before July 2025 has 8 districts: 256 Thành phố Bắc Ninh (17 phường) and 261 Thành phố
Từ Sơn (12 phường) have no xã and are not expected; 258, 259, 260, 262, 263, 264 are (66 xã).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ingest import pipeline
from ingest.cli.main import main
from ingest.config import environment, parse_provinces
from ingest.serve.coverage import coverage, coverage_line, summarise
from ingest.serve.notify import message
from ingest.warehouse.build import build
from tests.fixtures.coverage import APRIL, JULY_2025, JUNE_2025, MARCH_2019, MAY, SELECT, vn

EXPECTED_27 = ["258", "259", "260", "262", "263", "264"]


def test_a_month_with_one_of_each(coverage_builds) -> None:
    cov = coverage_builds["27"]
    may = {unit: r for (month, unit), r in cov.items() if month == MAY}
    assert sorted(may) == EXPECTED_27
    assert {u: r["status"] for u, r in may.items()} == {
        "258": "accepted", "259": "late", "260": "missing", "262": "rejected", "263": "accepted", "264": "late"}
    # the unreadable file counts for 262, the unit its name names; it has no version
    assert (may["262"]["submitted"], may["262"]["latest_version"], may["262"]["version_in_force"]) == (True, None, None)
    assert may["262"]["received_at"] == vn(2023, 6, 2)
    assert (may["260"]["submitted"], may["260"]["is_backfill"], may["260"]["received_at"]) == (False, False, None)
    assert may["259"]["submitted_on"] == date(2023, 6, 4) and may["259"]["received_at"] == vn(2023, 6, 12)
    assert {r["deadline"] for r in may.values()} == {date(2023, 6, 5)}
    # 258 sent its file twice: the duplicate changes nothing
    assert (may["258"]["latest_version"], may["258"]["version_in_force"], may["258"]["received_at"],
            may["258"]["submitted_on"]) == (1, 1, vn(2023, 6, 3), date(2023, 6, 2))
    assert not any(r["is_backfill"] for r in may.values())


def test_the_deadline_is_a_day_in_vietnam(coverage_builds) -> None:
    april = {unit: r["status"] for (month, unit), r in coverage_builds["27"].items() if month == APRIL}
    assert april == {"258": "accepted", "259": "late", "260": "missing", "262": "rejected", "263": "missing",
                     "264": "missing"}


def test_version_in_force_after_a_correction_and_a_rejected_v3(coverage_builds) -> None:
    r = coverage_builds["27"][(MAY, "263")]
    assert (r["latest_version"], r["version_in_force"], r["status"]) == (3, 2, "accepted")
    assert r["submitted_on"] == date(2023, 6, 19)      # declared in the version in force (v2)
    assert r["received_at"] == vn(2023, 6, 2)          # the first accepted version was on time
    late = coverage_builds["27"][(MAY, "264")]                  # v1 rejected on time, v2 accepted after the 5th
    assert (late["latest_version"], late["version_in_force"], late["status"]) == (2, 2, "late")


def test_a_backfilled_month_is_judged_by_the_declared_date(coverage_builds) -> None:
    march = {unit: r for (month, unit), r in coverage_builds["27"].items() if month == MARCH_2019}
    assert {u: (r["status"], r["is_backfill"]) for u, r in march.items()} == {
        "258": ("accepted", True),    # declared 3 April 2019, received in July 2023
        "259": ("late", True),        # declared 20 April 2019
        "260": ("late", False),       # not a backfill: received four years late
        "262": ("accepted", True),    # a backfill that declared no date is not judged late
        "263": ("accepted", True),    # v1 declared 2 April; the v2 correction of 10 May does not make it late
        "264": ("missing", False),
    }
    assert march["258"]["submitted_on"] == date(2019, 4, 3)
    assert march["258"]["received_at"] == vn(2023, 7, 1)
    assert march["263"]["submitted_on"] == date(2019, 5, 10) and march["263"]["version_in_force"] == 2
    assert march["262"]["submitted_on"] is None


def test_districts_without_xa_are_not_expected(coverage_builds) -> None:
    for setting in ("27", "", "all"):
        units = {unit for (month, unit) in coverage_builds[setting] if month == MAY}
        assert not units & {"256", "261", "001"}, setting     # Bắc Ninh, Từ Sơn, Ba Đình: wards only
        assert set(EXPECTED_27) <= units


def test_expected_units_every_month_asked_about(coverage_builds) -> None:
    cov = coverage_builds["27"]
    months = sorted({month for month, _unit in cov})
    # March 2019 .. July 2025 (the month a run asked about): 77 months, none left out
    assert (months[0], months[-1], len(months)) == (MARCH_2019, JULY_2025, 77)
    assert len(cov) == 76 * 6 + 1
    assert [(u, r["status"]) for (m, u), r in cov.items() if m == date(2021, 1, 1)] == [(u, "missing") for u in EXPECTED_27]
    assert [u for (m, u) in cov if m == JUNE_2025] == EXPECTED_27
    # from July 2025 the 2025 province submits: Bắc Ninh (27) merged into the new Bắc Ninh, code 24
    # (the code Bắc Giang had before: matched on code and period, never on code alone)
    assert [(u, r["province_code"], r["status"]) for (m, u), r in cov.items() if m == JULY_2025] == [
        ("24", "24", "missing")]
    assert {r["province_code"] for (m, _u), r in cov.items() if m < JULY_2025} == {"27"}


def test_unset_is_the_whole_country(coverage_builds) -> None:
    # marts.md, "Who is expected": the whole country when NTM_PROVINCES is unset, not the
    # provinces that happened to send (a silent province would never show up missing)
    cov = coverage_builds[""]
    assert cov.keys() == coverage_builds["all"].keys()
    assert sum(1 for m, _u in cov if m == MAY) == 635
    assert {u: r["status"] for (m, u), r in cov.items() if m == MAY and r["province_code"] == "27"} == {
        u: coverage_builds["27"][(MAY, u)]["status"] for u in EXPECTED_27}


def test_the_whole_country(coverage_builds) -> None:
    cov = coverage_builds["all"]
    # 696 legacy districts, 61 of them without a xã (quận, cities and towns of wards, islands)
    assert sum(1 for m, _u in cov if m == MAY) == 635
    assert sum(1 for m, _u in cov if m == JULY_2025) == 34
    # the same verdicts for Bắc Ninh's districts whatever the province setting
    assert {u: cov[(MAY, u)]["status"] for u in EXPECTED_27} == {u: coverage_builds["27"][(MAY, u)]["status"]
                                                                 for u in EXPECTED_27}


def test_summary_status_and_notification_show_the_new_columns(coverage_builds, module_database_url, capsys) -> None:
    url = module_database_url
    with environment({"NTM_PROVINCES": "27"}):
        assert build(url, select=SELECT).success
    s = summarise(coverage(url, MARCH_2019))
    assert coverage_line(s) == ("6 expected: 3 on time, 2 late, 1 missing, 0 rejected; "
                                "4 loaded by backfill (judged by the declared date)")
    unit = next(u for u in s["coverage_units"] if u["unit"] == "263")
    assert unit == {"unit": "263", "status": "accepted", "version_in_force": 2, "latest_version": 2,
                    "submitted_on": "2019-05-10", "received_at": unit["received_at"], "is_backfill": True}
    _subject, body = message({"month": "2019-03", "run_id": 1, "backfill": True, "coverage": s})
    assert "backfill" in body and "259: late, v1 (mới nhất / latest v1), ngày báo cáo / submitted on 2019-04-20, backfill" in body

    with environment({"NTM_PROVINCES": "27"}):  # ntm status reads live: the setting applies when it runs
        assert main(["status", "--database-url", url, "--month", "2023-05"]) == 0
    out = capsys.readouterr().out
    assert "6 expected: 2 on time, 2 late, 1 missing, 1 rejected" in out
    assert "19/06/2023" in out and "v2" in out and "v3" in out      # 263: submitted on, in force, latest
    assert main(["status", "--database-url", url, "--month", "2019-03", "--json"]) == 0
    data = {r["district_code"]: r for r in json.loads(capsys.readouterr().out)}
    assert data["258"]["is_backfill"] is True and data["258"]["submitted_on"] == "2019-04-03"


def test_ntm_provinces_is_parsed_in_one_place() -> None:
    assert parse_provinces(None) is None and parse_provinces(" ") is None
    assert parse_provinces("all") == ("all",) and parse_provinces("ALL") == ("all",)
    assert parse_provinces("27") == ("27",)
    assert parse_provinces("1, 27,27") == ("01", "27")
    for bad in ("bac ninh", "270", "27;24"):
        with pytest.raises(ValueError, match="NTM_PROVINCES"):
            parse_provinces(bad)


# --- the ingest side ---------------------------------------------------------------------------


def test_file_name_hints() -> None:
    assert pipeline.name_hints("2023-05_258_v1.xlsx") == ("2023-05", "258")
    assert pipeline.name_hints("2025-07_24_v2.zip") == ("2025-07", "24")
    assert pipeline.name_hints("2023-05_258_v2_messy.xlsx") == ("2023-05", "258")
    assert pipeline.name_hints("2023-05_bad_v1.xlsx") == ("2023-05", None)
    assert pipeline.name_hints("2023-05_25801_v1.xlsx") == ("2023-05", None)    # a commune code: no
    assert pipeline.name_hints("2023-13_258_v1.xlsx") == ("2023-13", None)      # not a month: no unit
    assert pipeline.name_hints("bao_cao.xlsx") == (None, None)


def test_backfill_runs() -> None:
    assert pipeline.is_backfill_run(True) and pipeline.is_backfill_run(False, "backfill")
    assert not pipeline.is_backfill_run(False, "manual") and not pipeline.is_backfill_run(None, "scheduled")
    from airflow.sdk.api.datamodels._generated import DagRunType

    assert pipeline.is_backfill_run(False, DagRunType.BACKFILL)
    assert not pipeline.is_backfill_run(False, DagRunType.MANUAL)


def test_ingest_records_declared_dates_hints_and_backfill(url, tmp_path, capsys) -> None:
    from ingest.devtools.bad_variants import write_bad_variants
    from ingest.devtools.generate import generate

    good, other = sorted(generate("27", [MAY], tmp_path / "gen", seed=3))[:2]
    bad_mark = write_bad_variants(other, tmp_path / "bad")["bad_mark"]      # read, then rejected
    unreadable = tmp_path / "2023-05_262_v1.xlsx"
    unreadable.write_text("not a workbook", encoding="utf-8")
    assert main(["ingest", "--database-url", url, "--no-docs", "--backfill",
                 str(good), str(bad_mark), str(unreadable)]) == 1
    assert "received as backfill" in capsys.readouterr().out
    with psycopg.connect(url) as conn:
        got = conn.execute(
            """SELECT s.file_name, s.status, s.is_backfill, s.submitted_on, s.submitting_unit_code,
                      s.file_unit_hint, s.file_period_hint, t.submitted_on
               FROM audit.submission s LEFT JOIN raw.thong_tin t USING (submission_id)
               ORDER BY s.submission_id""").fetchall()
    declared = {name: read_declared(path) for name, path in ((good.name, good), (bad_mark.name, bad_mark))}
    assert got[0] == (good.name, "accepted", True, declared[good.name], good.name[8:11], good.name[8:11],
                      "2023-05", declared[good.name])
    assert got[1][:4] == (bad_mark.name, "rejected", True, declared[bad_mark.name])   # read, rejected
    assert got[2] == (unreadable.name, "rejected", True, None, None, "262", "2023-05", None)
    # a live receipt is not a backfill and is received now
    again = tmp_path / "2023-05_263_v1.xlsx"
    again.write_text("still not a workbook", encoding="utf-8")
    [out] = pipeline.ingest_paths([str(again)], url, build_docs=False)
    with psycopg.connect(url) as conn:
        flag, age = conn.execute("SELECT is_backfill, now() - received_at FROM audit.submission "
                                 "WHERE submission_id = %s", (out.submission_id,)).fetchone()
    assert flag is False and age < timedelta(minutes=5)


def read_declared(path: Path) -> date:
    """The submitted_on a generated workbook declares (thong_tin, key/value rows)."""
    import openpyxl

    for key, value in openpyxl.load_workbook(path)["thong_tin"].iter_rows(min_row=2, max_col=2, values_only=True):
        if key == "submitted_on":
            return value.date() if isinstance(value, datetime) else value
    raise AssertionError("no submitted_on")


def test_the_dag_param_schema_accepts_backfill(tmp_path) -> None:
    """The monthly DAG's params validate `{"backfill": true}` (default false) and refuse a non-boolean."""
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent("""
        import copy, json, sys
        from pathlib import Path
        from airflow.dag_processing.dagbag import BundleDagBag
        bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]))
        dag = bag.dags["ntm_monthly"]
        out = {"default": dag.params.validate()}
        for conf in ({"backfill": True, "month": "2019-03"}, {"backfill": "yes"}):
            params = copy.deepcopy(dag.params)
            try:
                for k, v in conf.items():
                    params[k] = v
                out[json.dumps(conf)] = params.validate()
            except Exception as exc:
                out[json.dumps(conf)] = type(exc).__name__
        print(json.dumps(out, default=str))
    """)
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags")}
    res = subprocess.run([sys.executable, "-c", script, str(root / "dags")], capture_output=True, text=True,
                         env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["default"] == {"month": None, "backfill": False}
    assert out['{"backfill": true, "month": "2019-03"}'] == {"month": "2019-03", "backfill": True}
    assert out['{"backfill": "yes"}'] in ("ParamValidationError", "ValueError")


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_plans_a_real_month() -> None:
    from ingest.devtools.demo import expected_units, plan_months, receipt_time

    assert expected_units("27", MAY) == EXPECTED_27                 # 256 and 261 have wards only
    assert expected_units("27", JULY_2025) == ["24"]                # after the reform: the province
    plans = plan_months({m: EXPECTED_27 for m in (APRIL, MAY, date(2023, 6, 1))})
    assert [(p.late, p.missing, p.rejected, p.corrected) for p in plans] == [
        ("258", "259", "260", "262"), ("262", "263", "264", None), ("258", "259", "260", None)]
    assert plans[1].on_time == ["258", "259", "260"]   # May's missing and rejected reported in April
    when = receipt_time(plans)
    assert when("2023-05_262_v1.xlsx") == vn(2023, 6, 12, 9, 30)                 # late
    assert when("2023-04_262_v2_messy.xlsx") == vn(2023, 5, 20, 9, 30)           # the correction
    assert when("2023-05_258_v1.xlsx") <= vn(2023, 6, 5, 23, 59)                  # on time
    assert when("notes.xlsx") is None
    assert plan_months({JULY_2025: ["24"]})[0].late is None                      # one unit: all on time


def test_the_demo_shows_a_real_month(demo_run) -> None:
    out = demo_run.out
    # one inbox: the demo's files are where `ntm run` and Airflow look (NTM_INBOX's default)
    inbox = demo_run.state_dir / "inbox"
    assert sorted(p.name for p in (inbox / "2023-04").iterdir())[:2] == ["2023-04_258_v1.xlsx", "2023-04_260_v1.xlsx"]
    assert (inbox / "2023-04" / "2023-04_262_v2_messy.xlsx").is_file()
    assert f"inbox (where `ntm run` and Airflow look): {inbox}/<YYYY-MM>/" in out
    # April: 258 late, 259 missing, 260 not a workbook; May: 262 late, 263 missing, 264 not a workbook
    assert "coverage 2023-04: 6 expected: 3 on time, 1 late, 1 missing, 1 rejected" in out
    assert "coverage 2023-05: 6 expected: 3 on time, 1 late, 1 missing, 1 rejected" in out
    assert " xã" in out and "Xã meeting the NTM standard, 05/2023" in out
    cov = {r["district_code"]: r for r in coverage(demo_run.url, APRIL)}
    assert {u: r["status"] for u, r in cov.items()} == {
        "258": "late", "259": "missing", "260": "rejected", "262": "accepted", "263": "accepted", "264": "accepted"}
    # 262 corrected April with a version 2 on 20 May: in force, and not late (v1 was on time)
    assert (cov["262"]["version_in_force"], cov["262"]["latest_version"]) == (2, 2)
    assert cov["260"]["latest_version"] is None and cov["260"]["submitted"] is True
