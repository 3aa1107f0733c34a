"""The audit report: runs, failed checks, findings and Data Docs links, filtered by submission,
month and unit; JSON-ready and readable."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import psycopg
import pytest

from ingest.findings import Finding
from ingest.quality.suites import MART
from ingest.quality.validate import ValidationRun, validate_submission
from ingest.serve.audit_report import audit_report, format_audit_report
from ingest.store import statements as store
from ingest.store.runs import record_runs
from tests.test_validate_frames import RECEIVED, good_frames

MAY, JUNE = date(2023, 5, 1), date(2023, 6, 1)


def _submission(conn: psycopg.Connection, unit: str, period: date, status: str) -> int:
    return conn.execute(
        """INSERT INTO audit.submission (file_name, sha256, bytes, file_format, submitting_unit_code, province_code,
               period, version, status, archive_path)
           VALUES (%s, md5(%s) || md5(%s), 1, 'xlsx', %s, '38', %s, 1, %s, '/archive/x') RETURNING submission_id""",
        (f"{period:%Y-%m}_{unit}_v1.xlsx", unit + str(period), status, unit, period, status)).fetchone()[0]


@pytest.fixture(scope="module")
def history(server_url: str):
    from conftest import create_database, drop_database

    url = create_database(server_url, "ntm_test_audit")
    bad = good_frames()
    bad["ocop"].loc[0, "stars"] = 6                    # error
    bad["tieu_chi_xa"].loc[1, "ntm_title"] = "ntm"     # warning
    runs_bad = validate_submission(bad, RECEIVED, build_docs=False)
    runs_good = validate_submission(good_frames(), RECEIVED, build_docs=False)
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        rejected = _submission(conn, "395", MAY, "rejected")
        accepted = _submission(conn, "396", MAY, "accepted")
        june = _submission(conn, "395", JUNE, "accepted")
        unreadable = _submission(conn, "397", MAY, "rejected")
        record_runs(conn, runs_bad, rejected)
        record_runs(conn, runs_good, accepted)
        record_runs(conn, runs_good, june)
        store.record_reader_run(conn, unreadable, now, now, [Finding(
            "error", "not_a_workbook", "Tệp không phải bảng tính.", "The file is not a workbook.")], 0, None)
        mart = ValidationRun(MART, now, now, False, 3, 1, {}, "file:///docs/validations/mart.html", [Finding(
            "error", "funding_by_unit", "raw 1 khác marts 2", "raw 1 but marts 2", sheet="marts.fct_funding",
            column_name="amount_ytd_mvnd", value="2")], period=MAY)
        record_runs(conn, [mart], None)
        conn.commit()
    yield url, {"rejected": rejected, "accepted": accepted, "june": june, "unreadable": unreadable}
    drop_database(server_url, url)


def test_report_for_one_submission(history) -> None:
    url, ids = history
    report = audit_report(url, submission_id=ids["rejected"])
    assert [s["submission_id"] for s in report["submissions"]] == [ids["rejected"]]
    sub = report["submissions"][0]
    assert len(sub["runs"]) == 8 and sub["findings"] == {"error": 1, "warning": 1}
    assert {(c["check_name"], c["severity"], c["occurrences"]) for c in report["failed_checks"]} == {
        ("stars_out_of_range", "error", 1), ("title_at_risk", "warning", 1)}
    (err, warn) = report["findings"]
    assert (err["severity"], err["suite"], err["sheet"], err["excel_row"], err["column_name"], err["value"]) == \
        ("error", "ocop", "ocop", 4, "stars", "6")
    assert warn["check_name"] == "title_at_risk"
    assert report["mart_runs"] == []
    assert report["summary"] == {"submissions": 1, "accepted": 0, "rejected": 1, "runs": 8, "failed_runs": 1,
                                 "errors": 1, "warnings": 1}
    json.dumps(report)  # the CLI's --json


def test_report_for_a_month_includes_mart_checks_and_reader_findings(history) -> None:
    url, ids = history
    report = audit_report(url, month=MAY)
    assert {s["submission_id"] for s in report["submissions"]} == {ids["rejected"], ids["accepted"], ids["unreadable"]}
    assert [r["suite"] for r in report["mart_runs"]] == [MART]
    checks = {c["check_name"] for c in report["failed_checks"]}
    assert {"not_a_workbook", "funding_by_unit", "stars_out_of_range"} <= checks
    reader = next(f for f in report["findings"] if f["check_name"] == "not_a_workbook")
    assert reader["suite"] == "reader"
    assert "file:///docs/validations/mart.html" in report["data_docs"]


def test_report_for_a_unit(history) -> None:
    url, ids = history
    report = audit_report(url, unit="395")
    assert {s["submission_id"] for s in report["submissions"]} == {ids["rejected"], ids["june"]}
    assert audit_report(url, unit="38")["summary"]["submissions"] == 4   # by province
    empty = audit_report(url, unit="999")
    assert empty["submissions"] == [] and empty["summary"]["errors"] == 0


def test_formatted_report_names_what_failed_and_where(history) -> None:
    url, ids = history
    text = format_audit_report(audit_report(url, month=MAY))
    assert "Audit report (month=2023-05)" in text
    assert "stars_out_of_range" in text and "ocop:4:stars = 6" in text
    assert "Mart checks" in text and "funding_by_unit" in text
    assert "The file is not a workbook." in text and "Tệp không phải bảng tính." in text
    assert "file:///docs/validations/mart.html" in text
    nothing = format_audit_report(audit_report(url, unit="999"))
    assert "Nothing recorded" in nothing
