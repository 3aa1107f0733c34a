"""The audit report: runs, failed checks, findings and Data Docs links, filtered by submission,
month and unit; JSON-ready and readable."""

from __future__ import annotations

import json
from datetime import date

from ingest.quality.suites import MART, SUITES
from ingest.serve.audit_report import audit_report, format_audit_report
from tests.fixtures.audit import MAY

SUITE_RUNS = len(SUITES)   # one validation run per suite: each sheet (optional ones too) and the cross-sheet rules


def test_report_for_one_submission(history) -> None:
    url, ids = history
    report = audit_report(url, submission_id=ids["rejected"])
    assert [s["submission_id"] for s in report["submissions"]] == [ids["rejected"]]
    sub = report["submissions"][0]
    assert len(sub["runs"]) == SUITE_RUNS and sub["findings"] == {"error": 1, "warning": 1}
    assert {(c["check_name"], c["severity"], c["occurrences"]) for c in report["failed_checks"]} == {
        ("stars_out_of_range", "error", 1), ("title_at_risk", "warning", 1)}
    (err, warn) = report["findings"]
    assert (err["severity"], err["suite"], err["sheet"], err["excel_row"], err["column_name"], err["value"]) == \
        ("error", "ocop", "ocop", 4, "stars", "6")
    assert warn["check_name"] == "title_at_risk"
    assert report["mart_runs"] == []
    assert report["summary"] == {"submissions": 1, "accepted": 0, "rejected": 1, "runs": SUITE_RUNS, "failed_runs": 1,
                                 "errors": 1, "warnings": 1, "rejected_before_period": None}  # n/a for one file
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


# ------------------------------------------------------------------------------------------------
# On the hostile batch that went through the real pipeline (tests/fixtures/audit.py)


def test_severity_filter_keeps_only_that_severity(hostile_audit) -> None:
    url = hostile_audit["url"]
    errors = audit_report(url, month=MAY, severity="error", all_findings=True)
    assert errors["findings"] and {f["severity"] for f in errors["findings"]} == {"error"}
    assert {c["severity"] for c in errors["failed_checks"]} == {"error"}
    warnings = audit_report(url, month=MAY, severity="warning", all_findings=True)
    assert {f["check_name"] for f in warnings["findings"]} >= {"unknown_column", "unknown_key"}
    everything = audit_report(url, month=MAY, all_findings=True)
    assert len(everything["findings"]) == len(errors["findings"]) + len(warnings["findings"])
    text = format_audit_report(errors)
    assert "severity=error" in text and "[warning]" not in text


def test_files_rejected_before_their_period_are_counted_by_the_name(hostile_audit) -> None:
    report = audit_report(hostile_audit["url"], month=MAY)
    assert report["summary"]["rejected_before_period"] == 1        # 262: not a workbook, month from its name
    assert hostile_audit["ids"]["262"] in {s["submission_id"] for s in report["submissions"]}   # listed too
    text = format_audit_report(report)
    assert "1 file(s) rejected before their period could be read (counted by the month in the file name)" in text
    assert audit_report(hostile_audit["url"], month=date(2023, 4, 1))["summary"]["rejected_before_period"] == 0


def test_repeated_findings_are_grouped(hostile_audit) -> None:
    text = format_audit_report(audit_report(hostile_audit["url"], submission_id=hostile_audit["ids"]["258"]))
    assert f"[error] #{hostile_audit['ids']['258']} 3 × bad_mark (tieu_chi_xa: rows 2–4)" in text
    assert text.count("bad_mark tieu_chi_xa:") == 0                  # not one line each
    assert "unknown_key thong_tin:9" in text                          # a single finding stays a line


def test_a_cut_list_says_so_and_how_to_see_all(hostile_audit, monkeypatch) -> None:
    from ingest.store import audit_history

    monkeypatch.setattr(audit_history, "MAX_FINDINGS", 2)
    report = audit_report(hostile_audit["url"], month=MAY)
    assert len(report["findings"]) == 2 and report["findings_truncated"]
    text = format_audit_report(report)
    total = report["findings_total"]
    assert f"Findings (the first 2 of {total}: --all lists every one" in text
    assert f"… {total - 2} more finding(s) not listed: ntm audit --all" in text
    full = audit_report(hostile_audit["url"], month=MAY, all_findings=True)
    assert len(full["findings"]) == total and not full["findings_truncated"]
