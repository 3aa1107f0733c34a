"""`ntm`: the data engineers' command line (../shared/spec/cli.md).

Exit status: 0 success; 1 the command ran but something was rejected or failed a check;
2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ingest.serve.run_summary import print_run_summary
from ingest.store.db import migrate_all

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A usage or configuration error: exit 2 with the message."""


# ---------------------------------------------------------------------------------------------
# output helpers


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _months(spec: str) -> list[date]:
    """`2023-01..2023-12` or `2023-05` → list of first days of months."""
    from ingest.pipeline import month_of

    first, _, last = spec.partition("..")
    try:
        start, end = month_of(first), month_of(last or first)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if end < start:
        raise UsageError(f"empty month range {spec!r}: the end is before the start")
    out, cur = [], start
    while cur <= end:
        out.append(cur)
        cur = date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
    return out


def _url(args: argparse.Namespace) -> str:
    from ingest.config import load_settings
    from ingest.store import localdb

    try:
        return localdb.resolve_url(load_settings(), args.database_url)
    except localdb.LocalDbError as exc:
        raise UsageError(str(exc)) from exc


def _ready_url(args: argparse.Namespace) -> str:
    """The database URL, with the schemas migrated (idempotent: a no-op when up to date)."""
    url = _url(args)
    migrate_all(url)
    return url


def _progress(total: int, label: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A progress bar on a terminal (stderr); nothing otherwise. Returns (advance, close)."""
    if total < 2 or not sys.stderr.isatty():
        return (lambda _msg: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task(label, total=total)
    bar.start()
    return (lambda _msg: bar.advance(task)), bar.stop


# ---------------------------------------------------------------------------------------------
# commands


def cmd_db(args: argparse.Namespace) -> int:
    from ingest.config import load_settings
    from ingest.store import localdb

    settings = load_settings()
    if args.db_command == "start":
        print(localdb.start(settings))
    elif args.db_command == "stop":
        print("stopped" if localdb.stop(settings) else "not running")
    elif args.db_command == "status":
        running = localdb.is_running(settings)
        if args.json:
            _emit_json({"running": running, "data_dir": str(settings.pg_dir),
                        "url": localdb.url(settings) if running else None})
        else:
            print(f"local cluster: {'running at ' + localdb.url(settings) if running else 'not running'}"
                  f" (data in {settings.pg_dir})")
        return EXIT_OK if running else EXIT_REJECTED
    elif args.db_command == "url":
        print(_url(args))
    elif args.db_command == "migrate":
        url = _url(args)
        applied = migrate_all(url)
        print("applied: " + ", ".join(applied) if applied else "up to date")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from ingest.devtools.template import write_template

    if (args.unit is None) != (args.month is None):
        raise UsageError("give --unit and --month together (or neither, for the blank workbook)")
    month = _months(args.month)[0] if args.month else None
    try:
        print(write_template(Path(args.output), args.unit, month))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from ingest.devtools.generate import generate

    t0 = time.perf_counter()
    paths = generate(args.province, _months(args.months), Path(args.output), seed=args.seed,
                     messy=args.messy, fmt=args.format)
    if args.json:
        _emit_json([str(p) for p in paths])
    else:
        print(f"wrote {len(paths)} submission(s) under {args.output} in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


def _outcome_line(o) -> str:
    period = o.period.strftime("%Y-%m") if o.period else "?"
    counts = ", ".join(f"{k} {v}" for k, v in o.counts.items() if v) if o.counts else ""
    unit = o.submitting_unit_code or "?"
    version = f"v{o.version}" if o.version else "v?"
    colour = {"accepted": "green", "rejected": "red", "stale": "red", "duplicate": "yellow"}.get(o.status, "")
    status = f"[{colour}]{o.status.upper():9}[/{colour}]" if colour else f"{o.status.upper():9}"
    return f"{status} {o.file_name}  unit {unit}  {period} {version}" + (f"  ({counts})" if counts else "")


def _print_findings(console, findings: list[dict], limit: int = 20) -> None:
    for f in findings[:limit]:
        where = " ".join(x for x in (
            f["sheet"] or "", f"row {f['excel_row']}" if f["excel_row"] else "",
            f"column {f['column_name']}" if f["column_name"] else "") if x)
        value = f" value {f['value']!r}" if f["value"] is not None else ""
        console.print(f"    {f['severity']:7} {f['check_name']}: {where}{value}", markup=False)
        console.print(f"            {f['message_en']}", markup=False)
        console.print(f"            {f['message_vi']}", markup=False)
    if len(findings) > limit:
        console.print(f"    … and {len(findings) - limit} more (ntm audit --submission ID)", markup=False)


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import expand_paths, ingest_paths

    try:
        paths = [str(p) for p in expand_paths(args.paths)]
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    url = _ready_url(args)
    advance, close = _progress(len(paths), "validating")
    try:
        results = ingest_paths(paths, url, build_docs=not args.no_docs, progress=advance,
                               backfill=args.backfill)
    finally:
        close()
    bad = [o for o in results if o.status in ("rejected", "stale")]
    if args.json:
        _emit_json([o.as_dict() for o in results])
    else:
        console = _console()
        for o in results:
            console.print(_outcome_line(o))
            if o.status in ("rejected", "stale"):
                _print_findings(console, [f for f in o.findings if f["severity"] == "error"] or o.findings)
        console.print(f"{len(results)} file(s): {sum(o.status == 'accepted' for o in results)} accepted, "
                      f"{len(bad)} rejected, {sum(o.status == 'duplicate' for o in results)} duplicate"
                      + ("; received as backfill: timeliness judged by the date each unit declared"
                         if args.backfill else ""))
        if bad:
            console.print("Rejected files are archived; fix them and send the next version (see findings).")
    return EXIT_REJECTED if bad else EXIT_OK


def cmd_transform(args: argparse.Namespace) -> int:
    from ingest.pipeline import transform

    url = _ready_url(args)
    console = _console()
    result = transform(url, full_refresh=args.full_refresh, select=args.select or None,
                       progress=None if args.json else (lambda line: console.print(line, markup=False)))
    if args.json:
        _emit_json(result.__dict__)
    else:
        console.print(f"dbt build {'succeeded' if result.success else 'FAILED'} in {result.elapsed:.1f} s: "
                      + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
        for failure in result.failures:
            console.print(f"  [red]{failure}[/red]")
    if result.success and not args.no_docs:
        from ingest.warehouse.build import docs_generate

        target = docs_generate(url)
        if not args.json:
            console.print(f"dbt docs: {target / 'index.html'}")
    return EXIT_OK if result.success else EXIT_REJECTED


def cmd_run(args: argparse.Namespace) -> int:
    from ingest.pipeline import month_of, run_month

    try:
        month = month_of(args.month)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    url = _ready_url(args)
    console = _console()
    summary = run_month(month, args.inbox, url, backfill=args.backfill,
                        progress=None if args.json else (lambda m: console.print(m, markup=False)))
    if args.json:
        _emit_json(summary)
    else:
        print_run_summary(console, summary)
    ok = summary["dbt_success"] and summary["mart_checks_success"]
    return EXIT_OK if ok and not summary["rejected"] else EXIT_REJECTED


def cmd_status(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    import psycopg

    from ingest.pipeline import month_of
    from ingest.serve.coverage import coverage, coverage_line, summarise

    vn_time = ZoneInfo("Asia/Ho_Chi_Minh")  # the deadline is a day in Vietnam
    url = _url(args)
    if args.month:
        try:
            months = [month_of(args.month)]
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    else:
        with psycopg.connect(url) as conn:
            latest = conn.execute("SELECT max(month) FROM marts.mart_submission_coverage").fetchone()[0]
        if latest is None:
            print("no submissions yet: run `ntm ingest` or `ntm run --month YYYY-MM`")
            return EXIT_OK
        months = [latest]
    rows = coverage(url, months[0])
    if args.json:
        _emit_json(rows)
        return EXIT_OK
    from rich.table import Table

    deadline = rows[0]["deadline"] if rows else None
    table = Table(title=f"Submission coverage {months[0]:%Y-%m}"
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
    console = _console()
    if not console.is_terminal:
        console.width = max(console.width, 132)  # a file or a pipe: room for every column
    console.print(table)
    console.print(coverage_line(summarise(rows)), markup=False)
    if any(r["is_backfill"] for r in rows):
        console.print("backfill: history loaded from archives is judged by the date the unit declared "
                      "(submitted on), not by when it was received", markup=False)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from ingest.pipeline import month_of
    from ingest.serve.audit_report import audit_report, format_audit_report

    try:
        month = month_of(args.month) if args.month else None
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    report = audit_report(_url(args), submission_id=args.submission, month=month, unit=args.unit)
    if args.json:
        _emit_json(report)
    else:
        print(format_audit_report(report))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ingest.pipeline import month_of
    from ingest.serve.bulletin import ReportError, write_report

    try:
        month = month_of(args.month)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    output = Path(args.output or f"ban_tin_{args.unit}_{month:%Y-%m}.html")
    try:
        path = write_report(_url(args), month, args.unit, output)
    except ReportError as exc:
        print(f"ntm: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    print(path)
    return EXIT_OK


def cmd_reference(args: argparse.Namespace) -> int:
    from ingest.config import load_settings
    from ingest.intake.unit_list import UnitListError
    from ingest.store.reference import import_units

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    url = _ready_url(args)
    try:
        summary = import_units(url, path, replace_earlier=args.replace,
                               max_bytes=load_settings().max_file_bytes)
    except UnitListError as exc:
        if args.json:
            _emit_json({"file": str(path), "imported": False, "errors": [p.as_dict() for p in exc.problems]})
        else:
            print(f"{path}: {len(exc.problems)} error(s); nothing imported", file=sys.stderr)
            for problem in exc.problems[:50]:
                print(f"  {problem}", file=sys.stderr)
            if len(exc.problems) > 50:
                print(f"  … and {len(exc.problems) - 50} more", file=sys.stderr)
        return EXIT_REJECTED
    if args.json:
        _emit_json(summary.as_dict())
        return EXIT_OK

    def levels(counts: dict[str, int]) -> str:
        return ", ".join(f"{level} {n}" for level, n in counts.items()) or "none"

    print(f"{path}: {summary.rows} unit(s) imported ({levels(summary.imported)})"
          + (" - identical to the earlier import, nothing changed" if summary.unchanged else "")
          + (" after dropping earlier imports" if summary.replaced else ""))
    print(f"  historical units of their own (ended before 2025-06-30): {levels(summary.historical)}")
    print(f"  built-in units whose validity start this file set: {levels(summary.starts_set)}"
          f" ({summary.starts_set_total} in all imports)")
    if summary.differs_from_snapshot:
        print(f"  warning: {len(summary.differs_from_snapshot)} unit(s) still in force on 2025-06-30 are named or "
              "typed differently from the built-in list (its names are kept; give such a row a last day in "
              "force to keep it as a unit of its own):")
        for d in summary.differs_from_snapshot[:10]:
            print(f"    line {d['line']}: {d['code']} {d['imported']} / built-in {d['built_in']}")
    if summary.ignored_columns:
        print(f"  ignored columns: {', '.join(summary.ignored_columns)}")
    print(f"  {summary.imported_total} imported row(s) in the database; done in {summary.seconds:.1f} s")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest.devtools.demo import run_demo

    return run_demo(args.database_url, months=_months(args.months), province=args.province)


# ---------------------------------------------------------------------------------------------
# parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (default: $NTM_DATABASE_URL, else the project's local cluster)")
    common.add_argument("--json", action="store_true", help="machine-readable output")

    p = argparse.ArgumentParser(
        prog="ntm", description="NTM data platform: receive, validate, load and report district submissions.",
        epilog="Exit status: 0 ok, 1 something was rejected or failed a check, 2 usage/configuration error.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="manage the local PostgreSQL cluster and the schemas", parents=[common])
    db.add_argument("db_command", choices=["start", "stop", "status", "url", "migrate"],
                    help="start/stop/status of the local cluster; url to connect; migrate schemas and roles")
    db.set_defaults(func=cmd_db)

    t = sub.add_parser("template", help="write the blank submission workbook for districts", parents=[common])
    t.add_argument("-o", "--output", default="ntm_template.xlsx", help="file to write (default: %(default)s)")
    t.add_argument("--unit", help="the submitting unit's code: its codes are filled in and the commune "
                                  "dropdowns list its xã only")
    t.add_argument("--month", help="YYYY-MM, the reporting month of the unit's template (with --unit)")
    t.set_defaults(func=cmd_template)

    g = sub.add_parser("generate", help="write realistic synthetic submissions", parents=[common])
    g.add_argument("--province", required=True, help="GSO province code (e.g. 27) or 'all'")
    g.add_argument("--months", required=True, help="YYYY-MM or a range YYYY-MM..YYYY-MM")
    g.add_argument("-o", "--output", required=True, help="folder to write into (one subfolder per month)")
    g.add_argument("--seed", type=int, default=0, help="random seed; same seed, same files")
    g.add_argument("--messy", action="store_true", help="make the files look hand-made")
    g.add_argument("--format", choices=["xlsx", "zip", "csv"], default="xlsx",
                   help="workbooks, zips of CSVs, or CSV folders (default: %(default)s)")
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser("ingest", help="receive submissions: archive, read, validate, load", parents=[common])
    i.add_argument("paths", nargs="+", help="workbooks, zips of CSVs, CSV folders, or folders of these")
    i.add_argument("--no-docs", action="store_true", help="skip building Data Docs pages (faster)")
    i.add_argument("--backfill", action="store_true",
                   help="history loaded from archives: timeliness is judged by the date each unit declared "
                        "(submitted_on in thong_tin), not by when the file arrives")
    i.set_defaults(func=cmd_ingest)

    tr = sub.add_parser("transform", help="run the dbt build (models and tests)", parents=[common])
    tr.add_argument("--select", nargs="*", help="dbt selection (default: everything)")
    tr.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    tr.add_argument("--no-docs", action="store_true", help="skip `dbt docs generate` after a successful build")
    tr.set_defaults(func=cmd_transform)

    r = sub.add_parser("run", help="the whole monthly pipeline for one month, as the DAG runs it",
                       parents=[common])
    r.add_argument("--month", required=True, help="reporting month YYYY-MM")
    r.add_argument("--inbox", default=None, help="inbox folder or URL (default: $NTM_INBOX); files under <inbox>/YYYY-MM/")
    r.add_argument("--backfill", action="store_true",
                   help="the month is history loaded from archives: timeliness judged by the declared date")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("status", help="submission coverage of a month", parents=[common])
    s.add_argument("--month", help="YYYY-MM (default: the latest month)")
    s.set_defaults(func=cmd_status)

    a = sub.add_parser("audit", help="validation history: runs, failed checks, Data Docs", parents=[common])
    a.add_argument("--submission", type=int, help="one submission id")
    a.add_argument("--month", help="YYYY-MM")
    a.add_argument("--unit", help="submitting unit code")
    a.set_defaults(func=cmd_audit)

    rp = sub.add_parser("report", help="the monthly progress bulletin (HTML, charts) of a province or district",
                        parents=[common])
    rp.add_argument("--month", required=True, help="YYYY-MM")
    rp.add_argument("--unit", required=True, help="province or district code")
    rp.add_argument("-o", "--output", help="HTML file (default: ban_tin_<unit>_<month>.html)")
    rp.set_defaults(func=cmd_report)

    ref = sub.add_parser("reference", help="administrative reference data (unit lists of earlier years)")
    ref_sub = ref.add_subparsers(dest="reference_command", required=True, metavar="SUBCOMMAND")
    from ingest.intake.unit_list import FILE_FORMAT

    iu = ref_sub.add_parser(
        "import-units", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="import an official list of administrative units of earlier years",
        description="Import an official list of administrative units of earlier years (as the General "
                    "Statistics Office publishes it), so that history naming units merged away before the "
                    "2025-06-30 list can be loaded.\n\n" + FILE_FORMAT,
        epilog="Example: docs/examples/admin_units_2017_example.csv. Exit status: 0 imported, 1 the file has "
               "errors (each named by line, column and value; nothing imported), 2 usage error.")
    iu.add_argument("file", metavar="FILE", help="the CSV file")
    iu.add_argument("--replace", action="store_true",
                    help="drop every earlier import first (to correct an earlier import)")
    iu.set_defaults(func=cmd_reference)

    d = sub.add_parser("demo", help="set up and run the pipeline end to end on sample data", parents=[common])
    d.add_argument("--province", default="27", help="province to generate (default: %(default)s, Bắc Ninh)")
    d.add_argument("--months", default="2023-03..2023-05", help="months to run (default: %(default)s)")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"ntm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
