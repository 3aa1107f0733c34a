"""`ntm status`, `ntm audit`, `ntm report`: what the warehouse says about a month."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ingest.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Subparsers,
    console,
    database_url,
    emit_json,
    month,
    ready_url,
)

STATUS_WORDS = {"accepted": "on time", "late": "late", "rejected": "rejected", "missing": "missing",
                "pending": "pending"}


def _coverage_table(rows: list[dict[str, Any]], shown: Any) -> Any:
    """The coverage of a month for a terminal: names and codes (escaped: they come from the
    reference list and the files), local time (Asia/Ho_Chi_Minh) to the second."""
    from zoneinfo import ZoneInfo

    from rich.table import Table

    from ingest.serve.safe_text import terminal

    vn_time = ZoneInfo("Asia/Ho_Chi_Minh")  # the deadline is a day in Vietnam
    deadline = rows[0]["deadline"] if rows else None
    table = Table(title=f"Submission coverage {shown:%Y-%m}"
                  + (f" (on time: received by {deadline:%d/%m/%Y}, Vietnam time)" if deadline else ""))
    for col in ("province", "district", "status", "in force", "latest", "files (rejected)", "submitted on",
                "received at (VN)", "backfill"):
        table.add_column(col)
    style = {"accepted": "green", "late": "yellow", "rejected": "red", "missing": "red"}
    for r in rows:
        label = STATUS_WORDS.get(r["status"], r["status"])
        colour = style.get(r["status"])
        table.add_row(terminal(f"{r['province_name'] or ''} ({r['province_code']})"),
                      terminal(f"{r['district_name'] or ''} ({r['district_code']})"),
                      f"[{colour}]{terminal(label)}[/]" if colour else terminal(label),
                      f"v{r['version_in_force']}" if r["version_in_force"] else "",
                      f"v{r['latest_version']}" if r["latest_version"] else "",
                      f"{r['files']} ({r['files_rejected']})" if r["files"] else "",
                      f"{r['submitted_on']:%d/%m/%Y}" if r["submitted_on"] else "",
                      f"{r['received_at'].astimezone(vn_time):%d/%m/%Y %H:%M:%S}" if r["received_at"] else "",
                      "yes" if r["is_backfill"] else "")
    return table


def status_line(rows: list[dict[str, Any]], before_period: int) -> str:
    """`6 expected: 3 on time, 1 late, 1 missing, 1 rejected` (+ pending, backfill, unread files)."""
    count = {k: sum(r["status"] == k for r in rows) for k in STATUS_WORDS}
    line = (f"{len(rows)} expected: {count['accepted']} on time, {count['late']} late, "
            f"{count['missing']} missing, {count['rejected']} rejected")
    if count["pending"]:
        line += f", {count['pending']} pending"
    if backfill := sum(bool(r["is_backfill"]) for r in rows):
        line += f"; {backfill} loaded by backfill (judged by the declared date)"
    if before_period:
        line += f"; {before_period} file(s) rejected before their period was read (counted by the file name)"
    return line


def cmd_status(args: argparse.Namespace) -> int:
    import psycopg

    from ingest.config import load_settings
    from ingest.store import audit_history as history

    url = ready_url(args)
    with psycopg.connect(url) as conn:
        shown = month(args.month) if args.month else history.latest_period(conn)
        if shown is None:
            print("no submissions yet: run `ntm ingest` or `ntm run --month YYYY-MM`")
            return EXIT_OK
        rows = history.live_coverage(conn, shown, load_settings().provinces)
        before_period = history.rejected_before_period(conn, shown)
    if args.json:
        emit_json(rows)   # one object per expected unit, as before (`ntm audit --json` counts the unread files)
        return EXIT_OK
    out = console()
    if not out.is_terminal:
        out.width = max(out.width, 160)  # a file or a pipe: room for every column
    out.print(_coverage_table(rows, shown))
    out.print(status_line(rows, before_period), markup=False)
    if any(r["is_backfill"] for r in rows):
        out.print("backfill: history loaded from archives is judged by the date the unit declared "
                  "(submitted on), not by when it was received", markup=False)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from ingest.serve.audit_report import audit_report, format_audit_report

    chosen = month(args.month) if args.month else None
    url = database_url(args)
    if args.site:
        from ingest.serve.audit_site import build_site

        index = build_site(url)
        if not args.json:
            print(f"audit site: {index.as_uri()}")
    report = audit_report(url, submission_id=args.submission, month=chosen, unit=args.unit,
                          severity=args.severity, all_findings=args.all)
    if args.json:
        emit_json(report)
    else:
        print(format_audit_report(report))
    return EXIT_OK


def cmd_feedback(args: argparse.Namespace) -> int:
    from ingest.serve.feedback import FeedbackError, write_feedback, write_outbox

    url = database_url(args)
    if args.submission is None:
        written = write_outbox(url, month(args.month) if args.month else None)
        if args.json:
            emit_json({str(k): str(v) for k, v in written.items()})
        else:
            for sid, path in written.items():
                print(f"#{sid}: {path}")
            print(f"{len(written)} feedback workbook(s) in the outbox")
        return EXIT_OK
    try:
        path = write_feedback(url, args.submission, Path(args.output) if args.output else None)
    except FeedbackError as exc:
        print(f"ntm: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    if args.json:
        emit_json({"submission_id": args.submission, "path": str(path)})
    else:
        print(path)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ingest.serve.bulletin import PdfError, ReportError, write_report

    chosen = month(args.month)
    fmt = args.format or ("pdf" if args.output and args.output.lower().endswith(".pdf") else "html")
    output = Path(args.output or f"ban_tin_{args.unit}_{chosen:%Y-%m}.{fmt}")
    try:
        path = write_report(database_url(args), chosen, args.unit, output, fmt=fmt)
    except ReportError as exc:
        print(f"ntm: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except PdfError as exc:
        print(f"ntm: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(path)
    return EXIT_OK


def add_status(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("status", help="submission coverage of a month", parents=[common])
    s.add_argument("--month", help="YYYY-MM (default: the latest month)")
    s.set_defaults(func=cmd_status)


def add_audit(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("audit", help="validation history: runs, failed checks, Data Docs", parents=[common])
    a.add_argument("--submission", type=int, help="one submission id")
    a.add_argument("--month", help="YYYY-MM")
    a.add_argument("--unit", help="submitting unit code")
    a.add_argument("--severity", choices=("error", "warning"), help="only findings of this severity")
    a.add_argument("--all", action="store_true", help="list every finding (default: the first 500, said when cut)")
    a.add_argument("--site", action="store_true",
                   help="(re)write the audit site (month → province → district → submission) and print where")
    a.set_defaults(func=cmd_audit)


def add_feedback(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    fb = sub.add_parser("feedback", parents=[common],
                        help="the feedback workbook for a district (its file, findings highlighted and commented)")
    fb.add_argument("--submission", type=int, help="one submission id (default: every rejected or warned one, "
                                                   "into the outbox)")
    fb.add_argument("--month", help="YYYY-MM (without --submission: only that month's)")
    fb.add_argument("-o", "--output", help="FILE.xlsx (default: the outbox, <outbox>/<district>/<YYYY-MM>/)")
    fb.set_defaults(func=cmd_feedback)


def add_report(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    rp = sub.add_parser("report", help="the monthly progress bulletin (HTML, charts) of a province or district",
                        parents=[common])
    rp.add_argument("--month", required=True, help="YYYY-MM")
    rp.add_argument("--unit", required=True, help="province or district code")
    rp.add_argument("-o", "--output", help="file to write (default: ban_tin_<unit>_<month>.html or .pdf)")
    rp.add_argument("--format", choices=("html", "pdf"),
                    help="html (one self-contained page) or pdf (printed by headless Chromium); "
                         "default: from the output's extension, else html")
    rp.set_defaults(func=cmd_report)
