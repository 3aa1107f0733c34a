"""The audit report: runs, failed checks, findings and Data Docs links, filtered by submission,
month and unit; JSON-ready and readable."""

from __future__ import annotations

import json

from ingest.quality.suites import MART
from ingest.serve.audit_report import audit_report, format_audit_report
from tests.fixtures.audit import MAY


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
