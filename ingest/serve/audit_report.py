"""The validation history for auditors (`ntm audit`): runs, failed checks, findings, Data Docs.

`audit_report()` returns plain JSON-ready data (the CLI's `--json`); `format_audit_report()`
renders it for people. Filters combine: a submission, a reporting month (submissions of that
period and the mart checks of that month), a unit (the submitting unit or its province; mart
checks are not per unit, so they are listed only without a unit or submission filter).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from ingest.config import load_settings
from ingest.serve.safe_text import plain
from ingest.store import audit_history as history
from ingest.store.audit_history import LATEST_SUBMISSIONS


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dates and times as ISO text (JSON-ready)."""
    return [{k: (v.isoformat() if isinstance(v, datetime | date) else v) for k, v in r.items()} for r in rows]


def audit_report(url: str, submission_id: int | None = None, month: date | None = None,
                 unit: str | None = None, severity: str | None = None, all_findings: bool = False) -> dict:
    """Submissions with their validation runs, mart checks, failed checks and findings
    (`severity`: only errors or only warnings; `all_findings`: no cap on the findings listed)."""
    with psycopg.connect(url) as conn:
        submissions = _plain(history.submissions(conn, submission_id, month, unit))
        ids = [s["submission_id"] for s in submissions]
        runs = _plain(history.validation_runs(conn, ids))
        mart_runs = [] if submission_id is not None or unit else _plain(history.mart_runs(conn, month))
        mart_ids = [r["run_id"] for r in mart_runs]
        failed_checks = _plain(history.failed_checks(conn, ids, mart_ids, severity))
        findings = _plain(history.findings(conn, ids, mart_ids, severity,
                                           None if all_findings else history.MAX_FINDINGS))
        per_submission = history.finding_counts(conn, ids)
        unread = history.rejected_before_period(conn, month) if submission_id is None and not unit else None
    by_sub: dict[int, list[dict]] = {}
    for r in runs:
        by_sub.setdefault(r["submission_id"], []).append(r)
    counts: dict[int | None, dict[str, int]] = {}
    for c in per_submission:
        counts.setdefault(c["submission_id"], {"error": 0, "warning": 0})[c["severity"]] = c["n"]
    for s in submissions:
        s["runs"] = by_sub.get(s["submission_id"], [])
        s["findings"] = counts.get(s["submission_id"], {"error": 0, "warning": 0})
    report = _report(submission_id, month, unit, submissions, runs, mart_runs, failed_checks, findings)
    report["filters"]["severity"] = severity
    report["summary"]["rejected_before_period"] = unread
    return report


def _report(submission_id: int | None, month: date | None, unit: str | None, submissions: list[dict],
            runs: list[dict], mart_runs: list[dict], failed_checks: list[dict], findings: list[dict]) -> dict:
    docs = sorted({r["data_docs_url"] for r in [*runs, *mart_runs] if r.get("data_docs_url")})
    settings = load_settings()
    index = settings.data_docs_dir / "index.html"
    site = settings.audit_site_dir / "index.html"
    total = sum(c["occurrences"] for c in failed_checks)
    statuses = [s["status"] for s in submissions]
    return {
        "filters": {"submission_id": submission_id, "month": month.strftime("%Y-%m") if month else None,
                    "unit": unit},
        "audit_site_index": site.as_uri() if site.exists() else None,
        "summary": {
            "submissions": len(submissions),
            "accepted": statuses.count("accepted"), "rejected": statuses.count("rejected"),
            "runs": len(runs) + len(mart_runs),
            "failed_runs": sum(not r["success"] for r in [*runs, *mart_runs]),
            "errors": sum(c["occurrences"] for c in failed_checks if c["severity"] == "error"),
            "warnings": sum(c["occurrences"] for c in failed_checks if c["severity"] == "warning"),
        },
        "submissions": submissions,
        "mart_runs": mart_runs,
        "failed_checks": failed_checks,
        "findings": findings,
        "findings_total": total,
        "findings_truncated": total > len(findings),
        "data_docs": docs,
        "data_docs_index": index.as_uri() if index.exists() else None,
    }


GROUP_AT = 3      # this many findings of one check in one submission are printed as one line
DOCS_SHOWN = 20


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[("" if v is None else plain(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return out


def _rows_text(rows: list[Any]) -> str:
    """`4, 5, 9–12` for the Excel rows of grouped findings."""
    spans: list[list[int]] = []
    for n in sorted({r for r in rows if r is not None}):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _finding_lines(findings: list[dict]) -> list[str]:
    """One line per finding, but repeated checks of a submission as `96 × funding_decreased`."""
    groups: dict[tuple, list[dict]] = {}
    for x in findings:
        groups.setdefault((x["submission_id"], x["severity"], x["check_name"]), []).append(x)
    lines: list[str] = []
    for (sid, severity, check), items in groups.items():
        if len(items) >= GROUP_AT:
            sheets = ", ".join(sorted({plain(x["sheet"]) for x in items if x["sheet"]}))
            rows = _rows_text([x["excel_row"] for x in items])
            lines.append(f"  [{severity}] #{sid or '-'} {len(items)} × {plain(check)}"
                         + (f" ({sheets}{': rows ' + rows if rows else ''})" if sheets or rows else ""))
            lines.append(f"      e.g. {plain(items[0]['message_en'])}")
            lines.append(f"      vd. {plain(items[0]['message_vi'])}")
            continue
        for x in items:
            where = ":".join(plain(p) for p in (x["sheet"], x["excel_row"], x["column_name"]) if p is not None)
            lines.append(f"  [{x['severity']}] #{x['submission_id'] or '-'} {plain(x['check_name'])} {where}"
                         + (f" = {plain(x['value'])}" if x["value"] is not None else ""))
            lines.append(f"      {plain(x['message_en'])}")
            lines.append(f"      {plain(x['message_vi'])}")
    return lines


def format_audit_report(report: dict) -> str:
    """The report for people: a summary, submissions and runs, failed checks, findings (repeated
    checks grouped), Data Docs and the audit site. Every text from a submission is made plain
    (no escape sequences or control characters); nothing is cut without saying so."""
    f, s = report["filters"], report["summary"]
    scope = ", ".join(f"{k}={v}" for k, v in f.items() if v is not None) or f"latest {LATEST_SUBMISSIONS} submissions"
    lines = [f"Audit report ({plain(scope)})",
             f"{s['submissions']} submission(s): {s['accepted']} accepted, {s['rejected']} rejected; "
             f"{s['runs']} validation run(s), {s['failed_runs']} failed; "
             f"{s['errors']} error(s), {s['warnings']} warning(s)"]
    if s.get("rejected_before_period"):
        lines.append(f"{s['rejected_before_period']} file(s) rejected before their period could be read"
                     + (" (counted by the month in the file name)" if f.get("month") else ""))
    lines.append("")
    if report["submissions"]:
        lines.append("Submissions")
        rows = []
        for sub in report["submissions"]:
            failed = [r["suite"] for r in sub["runs"] if not r["success"]]
            rows.append([sub["submission_id"], sub["file_name"], sub["submitting_unit_code"],
                         (sub["period"] or "")[:7], sub["version"], sub["status"], len(sub["runs"]),
                         ", ".join(failed) or "-", f"{sub['findings']['error']}/{sub['findings']['warning']}"])
        lines += _table(["id", "file", "unit", "period", "v", "status", "runs", "failed suites", "err/warn"], rows)
        if not any(v is not None for k, v in f.items() if k != "severity") and s["submissions"] >= LATEST_SUBMISSIONS:
            lines.append(f"(the latest {LATEST_SUBMISSIONS} submissions: choose --month, --unit or --submission "
                         "for others)")
        lines.append("")
    if report["mart_runs"]:
        lines.append("Mart checks (raw vs marts)")
        lines += _table(["run", "month", "success", "failed", "finished"],
                        [[r["run_id"], (r["period"] or "all")[:7], "yes" if r["success"] else "NO", r["failed"],
                          (r["finished_at"] or "")[:19]] for r in report["mart_runs"]])
        lines.append("")
    if report["failed_checks"]:
        lines.append("Failed checks")
        lines += _table(["severity", "check", "occurrences", "submissions", "sheets"],
                        [[c["severity"], c["check_name"], c["occurrences"], c["submissions"],
                          ", ".join(x for x in c["sheets"] if x)] for c in report["failed_checks"]])
        lines.append("")
    if report["findings"]:
        shown, total = len(report["findings"]), report["findings_total"]
        lines.append("Findings" + (f" (the first {shown} of {total}: --all lists every one, --severity error "
                                   "only the errors)" if report["findings_truncated"] else ""))
        lines += _finding_lines(report["findings"])
        if report["findings_truncated"]:
            lines.append(f"  … {total - shown} more finding(s) not listed: ntm audit --all (or --json --all)")
        lines.append("")
    if report["data_docs"] or report["data_docs_index"] or report.get("audit_site_index"):
        lines.append("Data Docs")
        if report.get("audit_site_index"):
            lines.append(f"  audit site (month → province → district → submission): {report['audit_site_index']}")
        if report["data_docs_index"]:
            lines.append(f"  index: {report['data_docs_index']}")
        lines += [f"  {plain(u)}" for u in report["data_docs"][:DOCS_SHOWN]]
        if len(report["data_docs"]) > DOCS_SHOWN:
            lines.append(f"  … {len(report['data_docs']) - DOCS_SHOWN} more page(s): ntm audit --json lists all")
    if not report["submissions"] and not report["mart_runs"]:
        lines.append("Nothing recorded for this selection.")
    return "\n".join(lines).rstrip() + "\n"
