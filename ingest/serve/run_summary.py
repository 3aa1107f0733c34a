"""The lines a person reads at the end of `ntm run` and `ntm demo`."""

from __future__ import annotations


def print_run_summary(console, summary: dict) -> None:
    from ingest.serve.coverage import coverage_line, summarise
    from ingest.serve.notify import clean_text  # names from a submission: no control characters

    cov = summarise(summary["coverage"])
    console.print(f"month {summary['month']}{' (backfill)' if summary.get('backfill') else ''}: "
                  f"{summary['files']} file(s), {summary['accepted']} accepted, "
                  f"{len(summary['rejected'])} rejected, {summary['duplicates']} duplicate; "
                  f"dbt {'ok' if summary['dbt_success'] else 'FAILED'}, mart checks "
                  f"{'ok' if summary['mart_checks_success'] else 'FAILED'} ({summary['seconds']} s)")
    if not summary["files"] and summary.get("looked_in"):
        console.print(f"no files in {summary['looked_in']}", markup=False)
    console.print(f"coverage {summary['month']}: {coverage_line(cov)}", markup=False)
    for r in summary["rejected"]:
        unit = r["submitting_unit_code"] or (f"{r['unit_hint']}, from the file name" if r.get("unit_hint") else "?")
        console.print(f"  rejected: {clean_text(r['file_name'])} (unit {clean_text(unit)})", markup=False)
