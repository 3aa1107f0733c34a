"""`ntm ingest`, `ntm transform`, `ntm run`: receiving files, the dbt build, the monthly pipeline."""

from __future__ import annotations

import argparse
from typing import Any

from ingest.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    Subparsers,
    UsageError,
    console,
    emit_json,
    month,
    progress,
    ready_url,
)


def outcome_line(o: Any) -> str:
    from ingest.serve.safe_text import terminal

    period = o.period.strftime("%Y-%m") if o.period else "?"
    counts = ", ".join(f"{k} {v}" for k, v in o.counts.items() if v) if o.counts else ""
    unit = o.submitting_unit_code or "?"
    version = f"v{o.version}" if o.version else "v?"
    colour = {"accepted": "green", "rejected": "red", "stale": "red", "duplicate": "yellow"}.get(o.status, "")
    status = f"[{colour}]{o.status.upper():9}[/{colour}]" if colour else f"{o.status.upper():9}"
    return f"{status} {terminal(o.file_name)}  unit {terminal(unit)}  {period} {version}" + (f"  ({counts})" if counts else "")


def print_findings(out: Any, findings: list[dict], limit: int = 20) -> None:
    from ingest.serve.safe_text import plain

    findings = [{k: plain(v) if isinstance(v, str) else v for k, v in f.items()} for f in findings]
    for f in findings[:limit]:
        where = " ".join(x for x in (
            f["sheet"] or "", f"row {f['excel_row']}" if f["excel_row"] else "",
            f"column {f['column_name']}" if f["column_name"] else "") if x)
        value = f" value {f['value']!r}" if f["value"] is not None else ""
        out.print(f"    {f['severity']:7} {f['check_name']}: {where}{value}", markup=False)
        out.print(f"            {f['message_en']}", markup=False)
        out.print(f"            {f['message_vi']}", markup=False)
    if len(findings) > limit:
        out.print(f"    … and {len(findings) - limit} more (ntm audit --submission ID)", markup=False)


def _print_outcomes(results: list[Any], backfill: bool) -> None:
    out = console()
    bad = [o for o in results if o.status in ("rejected", "stale")]
    for o in results:
        out.print(outcome_line(o))
        if o.status in ("rejected", "stale"):
            print_findings(out, [f for f in o.findings if f["severity"] == "error"] or o.findings)
    out.print(f"{len(results)} file(s): {sum(o.status == 'accepted' for o in results)} accepted, "
              f"{len(bad)} rejected, {sum(o.status == 'duplicate' for o in results)} duplicate"
              + ("; received as backfill: timeliness judged by the date each unit declared"
                 if backfill else ""))
    if bad:
        out.print("Rejected files are archived; fix them and send the next version (see findings).")


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import expand_paths, ingest_paths

    try:
        paths = [str(p) for p in expand_paths(args.paths)]
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    url = ready_url(args)
    advance, close = progress(len(paths), "validating")
    try:
        results = ingest_paths(paths, url, build_docs=not args.no_docs, progress=advance,
                               backfill=args.backfill)
    finally:
        close()
    months = sorted({o.period for o in results if o.status == "accepted" and o.period})
    built = _transform_months(url, months, args) if args.transform and months else None
    if args.json:
        emit_json([o.as_dict() for o in results])
    else:
        _print_outcomes(results, args.backfill)
        _say_when_the_marts_reflect(months, built)
    failed_build = built is not None and not built.success
    return EXIT_REJECTED if failed_build or any(o.status in ("rejected", "stale") for o in results) else EXIT_OK


def _transform_months(url: str, months: list[Any], args: argparse.Namespace) -> Any:
    """`--transform`: build, reconcile the months loaded and publish the marts now."""
    from ingest.pipeline import transform

    out = console()
    return transform(url, months=months, build_docs=not args.no_docs,
                     progress=None if args.json else (lambda line: out.print(line, markup=False)))


def _say_when_the_marts_reflect(months: list[Any], built: Any) -> None:
    """What a loaded file changes for BI users, and when: the marts are rebuilt by a run, not by a load."""
    if not months:
        return
    named = ", ".join(f"{m:%Y-%m}" for m in months)
    out = console()
    if built is None:
        out.print(f"Loaded into raw for {named}; the marts reflect it after the next build: within 15 minutes "
                  "when Airflow runs (ntm_raw_watch closes months loaded outside a run), or now with "
                  "`ntm transform` (or `ntm ingest --transform`).", markup=False)
    elif built.success:
        out.print(f"Marts rebuilt and published for {named} ({built.elapsed:.1f} s).", markup=False)
    else:
        out.print(f"Marts NOT published: the build or a check failed for {named}; BI users still see the "
                  "previous marts. " + "; ".join(str(f) for f in built.failures[:5]), markup=False)


def cmd_transform(args: argparse.Namespace) -> int:
    from ingest.pipeline import transform

    url = ready_url(args)
    out = console()
    result = transform(url, full_refresh=args.full_refresh, select=args.select or None, unit_tests=True,
                       progress=None if args.json else (lambda line: out.print(line, markup=False)))
    if args.json:
        emit_json(result.__dict__)
    else:
        out.print(f"dbt build {'succeeded' if result.success else 'FAILED'} in {result.elapsed:.1f} s: "
                  + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
        for failure in result.failures:
            out.print(f"  [red]{failure}[/red]")
    if result.success and not args.no_docs:
        from ingest.warehouse.build import docs_generate

        target = docs_generate(url)
        if not args.json:
            out.print(f"dbt docs: {target / 'index.html'}")
    return EXIT_OK if result.success else EXIT_REJECTED


def cmd_run(args: argparse.Namespace) -> int:
    from ingest.pipeline import run_month
    from ingest.serve.run_summary import print_run_summary

    reporting_month = month(args.month)
    url = ready_url(args)
    out = console()
    summary = run_month(reporting_month, args.inbox, url, backfill=args.backfill,
                        progress=None if args.json else (lambda m: out.print(m, markup=False)))
    if args.json:
        emit_json(summary)
    else:
        print_run_summary(out, summary)
    ok = summary["dbt_success"] and summary["mart_checks_success"]
    return EXIT_OK if ok and not summary["rejected"] else EXIT_REJECTED


def add_ingest(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    i = sub.add_parser("ingest", help="receive submissions: archive, read, validate, load", parents=[common])
    i.add_argument("paths", nargs="+", help="workbooks, zips of CSVs, CSV folders, or folders of these")
    i.add_argument("--no-docs", action="store_true", help="skip building Data Docs pages (faster)")
    i.add_argument("--backfill", action="store_true",
                   help="history loaded from archives: timeliness is judged by the date each unit declared "
                        "(submitted_on in thong_tin), not by when the file arrives")
    i.add_argument("--transform", action="store_true",
                   help="rebuild and publish the marts for the months loaded, now (else the next build does: "
                        "ntm_raw_watch in Airflow, or `ntm transform`)")
    i.set_defaults(func=cmd_ingest)


def add_transform(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    tr = sub.add_parser("transform", help="run the dbt build (models and tests)", parents=[common])
    tr.add_argument("--select", nargs="*", help="dbt selection (default: everything)")
    tr.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    tr.add_argument("--no-docs", action="store_true", help="skip `dbt docs generate` after a successful build")
    tr.set_defaults(func=cmd_transform)


def add_run(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("run", help="the whole monthly pipeline for one month, as the DAG runs it",
                       parents=[common])
    r.add_argument("--month", required=True, help="reporting month YYYY-MM")
    r.add_argument("--inbox", default=None,
                   help="inbox folder or URL (default: $NTM_INBOX); files under <inbox>/YYYY-MM/")
    r.add_argument("--backfill", action="store_true",
                   help="the month is history loaded from archives: timeliness judged by the declared date")
    r.set_defaults(func=cmd_run)
