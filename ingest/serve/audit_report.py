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
from psycopg import sql
from psycopg.rows import dict_row

from ingest.config import load_settings

LATEST_SUBMISSIONS = 50     # without filters: the most recent submissions
MAX_FINDINGS = 500          # findings listed in full (all are counted)


def _where(submission_id: int | None, month: date | None, unit: str | None) -> tuple[sql.Composable, dict]:
    parts: list[sql.Composable] = [sql.SQL("true")]
    params: dict[str, Any] = {}
    if submission_id is not None:
        parts.append(sql.SQL("s.submission_id = %(sid)s"))
        params["sid"] = submission_id
    if month is not None:
        parts.append(sql.SQL("s.period = %(month)s"))
        params["month"] = month.replace(day=1)
    if unit:
        parts.append(sql.SQL("(s.submitting_unit_code = %(unit)s OR s.province_code = %(unit)s)"))
        params["unit"] = unit
    return sql.SQL(" AND ").join(parts), params


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: psycopg.Connection, query: sql.Composable | str, params: dict) -> list[dict[str, Any]]:
    rows = conn.cursor(row_factory=dict_row).execute(query, params).fetchall()
    return [{k: _plain(v) for k, v in r.items()} for r in rows]


def audit_report(url: str, submission_id: int | None = None, month: date | None = None,
                 unit: str | None = None) -> dict:
    """Submissions with their validation runs, mart checks, failed checks and findings."""
    where, params = _where(submission_id, month, unit)
    limit = sql.SQL("") if (submission_id or month or unit) else sql.SQL(f"LIMIT {LATEST_SUBMISSIONS}")
    with psycopg.connect(url) as conn:
        submissions = _rows(conn, sql.SQL(
            """SELECT s.submission_id, s.file_name, s.submitting_unit_code, s.province_code, s.period, s.version,
                      s.status, s.status_reason, s.received_at, s.sha256
               FROM audit.submission AS s WHERE {} ORDER BY s.received_at DESC, s.submission_id DESC {}"""
        ).format(where, limit), params)
        ids = [s["submission_id"] for s in submissions]
        runs = _rows(conn, """SELECT run_id, submission_id, suite, started_at, finished_at, success, evaluated,
                                     failed, data_docs_url, pipeline_run_id
                              FROM audit.validation_run WHERE submission_id = ANY(%(ids)s)
                              ORDER BY submission_id, run_id""", {"ids": ids})
        mart_runs = [] if submission_id is not None or unit else _rows(
            conn, """SELECT run_id, suite, period, started_at, finished_at, success, evaluated, failed, data_docs_url,
                            pipeline_run_id
                     FROM audit.validation_run
                     WHERE submission_id IS NULL AND (%(month)s::date IS NULL OR period = %(month)s::date)
                     ORDER BY run_id DESC LIMIT 20""", {"month": month.replace(day=1) if month else None})
        mart_ids = [r["run_id"] for r in mart_runs]
        scope = """(f.submission_id = ANY(%(ids)s) OR f.run_id = ANY(%(mart_ids)s))"""
        failed_checks = _rows(conn, f"""
            SELECT f.check_name, f.severity, count(*) AS occurrences, count(DISTINCT f.submission_id) AS submissions,
                   array_agg(DISTINCT coalesce(f.sheet, '')) AS sheets, min(f.message_en) AS example_en,
                   min(f.message_vi) AS example_vi
            FROM audit.finding AS f WHERE {scope}
            GROUP BY 1, 2 ORDER BY (f.severity = 'error') DESC, count(*) DESC, 1""",
                              {"ids": ids, "mart_ids": mart_ids})
        findings = _rows(conn, f"""
            SELECT f.submission_id, f.run_id, coalesce(r.suite, 'reader') AS suite, f.severity, f.check_name,
                   f.sheet, f.excel_row, f.column_name, f.value, f.message_vi, f.message_en
            FROM audit.finding AS f LEFT JOIN audit.validation_run AS r USING (run_id)
            WHERE {scope}
            ORDER BY f.submission_id NULLS LAST, (f.severity = 'error') DESC, f.sheet, f.excel_row, f.finding_id
            LIMIT {MAX_FINDINGS}""", {"ids": ids, "mart_ids": mart_ids})
        per_submission = _rows(conn, """SELECT submission_id, severity, count(*) AS n FROM audit.finding
                                        WHERE submission_id = ANY(%(ids)s) GROUP BY 1, 2""", {"ids": ids})
    by_sub: dict[int, list[dict]] = {}
    for r in runs:
        by_sub.setdefault(r["submission_id"], []).append(r)
    counts: dict[int | None, dict[str, int]] = {}
    for c in per_submission:
        counts.setdefault(c["submission_id"], {"error": 0, "warning": 0})[c["severity"]] = c["n"]
    for s in submissions:
        s["runs"] = by_sub.get(s["submission_id"], [])
        s["findings"] = counts.get(s["submission_id"], {"error": 0, "warning": 0})
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
