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
from ingest.store import audit_history as history
from ingest.store.audit_history import LATEST_SUBMISSIONS


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dates and times as ISO text (JSON-ready)."""
    return [{k: (v.isoformat() if isinstance(v, datetime | date) else v) for k, v in r.items()} for r in rows]


def audit_report(url: str, submission_id: int | None = None, month: date | None = None,
                 unit: str | None = None) -> dict:
    """Submissions with their validation runs, mart checks, failed checks and findings."""
    with psycopg.connect(url) as conn:
        submissions = _plain(history.submissions(conn, submission_id, month, unit))
        ids = [s["submission_id"] for s in submissions]
        runs = _plain(history.validation_runs(conn, ids))
        mart_runs = [] if submission_id is not None or unit else _plain(history.mart_runs(conn, month))
        mart_ids = [r["run_id"] for r in mart_runs]
        failed_checks = _plain(history.failed_checks(conn, ids, mart_ids))
        findings = _plain(history.findings(conn, ids, mart_ids))
        per_submission = history.finding_counts(conn, ids)
    by_sub: dict[int, list[dict]] = {}
    for r in runs:
        by_sub.setdefault(r["submission_id"], []).append(r)
    counts: dict[int | None, dict[str, int]] = {}
    for c in per_submission:
        counts.setdefault(c["submission_id"], {"error": 0, "warning": 0})[c["severity"]] = c["n"]
    for s in submissions:
        s["runs"] = by_sub.get(s["submission_id"], [])
        s["findings"] = counts.get(s["submission_id"], {"error": 0, "warning": 0})
    return _report(submission_id, month, unit, submissions, runs, mart_runs, failed_checks, findings)


def _report(submission_id: int | None, month: date | None, unit: str | None, submissions: list[dict],
            runs: list[dict], mart_runs: list[dict], failed_checks: list[dict], findings: list[dict]) -> dict:
    docs = sorted({r["data_docs_url"] for r in [*runs, *mart_runs] if r.get("data_docs_url")})
    index = load_settings().data_docs_dir / "index.html"
    total = sum(c["occurrences"] for c in failed_checks)
    statuses = [s["status"] for s in submissions]
    return {
        "filters": {"submission_id": submission_id, "month": month.strftime("%Y-%m") if month else None,
                    "unit": unit},
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


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return out


def format_audit_report(report: dict) -> str:
    """The report for people: a summary, submissions and runs, failed checks, findings, Data Docs."""
    f, s = report["filters"], report["summary"]
    scope = ", ".join(f"{k}={v}" for k, v in f.items() if v is not None) or f"latest {LATEST_SUBMISSIONS} submissions"
    lines = [f"Audit report ({scope})",
             f"{s['submissions']} submission(s): {s['accepted']} accepted, {s['rejected']} rejected; "
             f"{s['runs']} validation run(s), {s['failed_runs']} failed; "
             f"{s['errors']} error(s), {s['warnings']} warning(s)", ""]
    if report["submissions"]:
        lines.append("Submissions")
        rows = []
        for sub in report["submissions"]:
            failed = [r["suite"] for r in sub["runs"] if not r["success"]]
            rows.append([sub["submission_id"], sub["file_name"], sub["submitting_unit_code"],
                         (sub["period"] or "")[:7], sub["version"], sub["status"], len(sub["runs"]),
                         ", ".join(failed) or "-", f"{sub['findings']['error']}/{sub['findings']['warning']}"])
        lines += _table(["id", "file", "unit", "period", "v", "status", "runs", "failed suites", "err/warn"], rows)
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
        lines.append("Findings" + (f" (first {len(report['findings'])} of {report['findings_total']})"
                                   if report["findings_truncated"] else ""))
        for x in report["findings"]:
            where = ":".join(str(p) for p in (x["sheet"], x["excel_row"], x["column_name"]) if p is not None)
            lines.append(f"  [{x['severity']}] #{x['submission_id'] or '-'} {x['check_name']} {where}"
                         + (f" = {x['value']}" if x["value"] is not None else ""))
            lines.append(f"      {x['message_en']}")
            lines.append(f"      {x['message_vi']}")
        lines.append("")
    if report["data_docs"] or report["data_docs_index"]:
        lines.append("Data Docs")
        if report["data_docs_index"]:
            lines.append(f"  index: {report['data_docs_index']}")
        lines += [f"  {u}" for u in report["data_docs"][:20]]
    if not report["submissions"] and not report["mart_runs"]:
        lines.append("Nothing recorded for this selection.")
    return "\n".join(lines).rstrip() + "\n"
