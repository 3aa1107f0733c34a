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
)


def _coverage_table(rows: list[dict[str, Any]], shown: Any) -> Any:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    vn_time = ZoneInfo("Asia/Ho_Chi_Minh")  # the deadline is a day in Vietnam
    deadline = rows[0]["deadline"] if rows else None
    table = Table(title=f"Submission coverage {shown:%Y-%m}"
                  + (f" (on time: received by {deadline:%d/%m/%Y}, Vietnam time)" if deadline else ""))
    for col in ("province", "district", "status", "in force", "latest", "submitted on", "received at (VN)",
                "backfill"):
        table.add_column(col)
    style = {"accepted": "green", "late": "yellow", "rejected": "red", "missing": "red"}
    for r in rows:
        label = "on time" if r["status"] == "accepted" else r["status"]
        table.add_row(r["province_code"], r["district_code"],
                      f"[{style.get(r['status'], '')}]{label}[/]",
                      f"v{r['version_in_force']}" if r["version_in_force"] else "",
                      f"v{r['latest_version']}" if r["latest_version"] else "",
                      f"{r['submitted_on']:%d/%m/%Y}" if r["submitted_on"] else "",
                      f"{r['received_at'].astimezone(vn_time):%Y-%m-%d %H:%M}" if r["received_at"] else "",
                      "yes" if r["is_backfill"] else "")
    return table


def cmd_status(args: argparse.Namespace) -> int:
    from ingest.serve.coverage import coverage, coverage_line, latest_month, summarise

    url = database_url(args)
    shown = month(args.month) if args.month else latest_month(url)
    if shown is None:
        print("no submissions yet: run `ntm ingest` or `ntm run --month YYYY-MM`")
        return EXIT_OK
    rows = coverage(url, shown)
    if args.json:
        emit_json(rows)
        return EXIT_OK
    out = console()
    if not out.is_terminal:
        out.width = max(out.width, 132)  # a file or a pipe: room for every column
    out.print(_coverage_table(rows, shown))
    out.print(coverage_line(summarise(rows)), markup=False)
    if any(r["is_backfill"] for r in rows):
        out.print("backfill: history loaded from archives is judged by the date the unit declared "
                  "(submitted on), not by when it was received", markup=False)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from ingest.serve.audit_report import audit_report, format_audit_report

    chosen = month(args.month) if args.month else None
    report = audit_report(database_url(args), submission_id=args.submission, month=chosen, unit=args.unit)
    if args.json:
        emit_json(report)
    else:
        print(format_audit_report(report))
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
    a.set_defaults(func=cmd_audit)


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
