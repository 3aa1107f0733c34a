"""`ntm reference import-units`: official lists of administrative units of earlier years."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ingest.cli.common import EXIT_OK, EXIT_REJECTED, Subparsers, UsageError, emit_json, ready_url


def _print_problems(path: Path, problems: list[Any]) -> None:
    print(f"{path}: {len(problems)} error(s); nothing imported", file=sys.stderr)
    for problem in problems[:50]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > 50:
        print(f"  … and {len(problems) - 50} more", file=sys.stderr)


def _levels(counts: dict[str, int]) -> str:
    return ", ".join(f"{level} {n}" for level, n in counts.items()) or "none"


def _print_summary(path: Path, summary: Any) -> None:
    print(f"{path}: {summary.rows} unit(s) imported ({_levels(summary.imported)})"
          + (" - identical to the earlier import, nothing changed" if summary.unchanged else "")
          + (" after dropping earlier imports" if summary.replaced else ""))
    print(f"  historical units of their own (ended before 2025-06-30): {_levels(summary.historical)}")
    print(f"  built-in units whose validity start this file set: {_levels(summary.starts_set)}"
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


def cmd_reference(args: argparse.Namespace) -> int:
    from ingest.config import load_settings
    from ingest.intake.unit_list import UnitListError
    from ingest.store.reference import import_units

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    url = ready_url(args)
    try:
        summary = import_units(url, path, replace_earlier=args.replace,
                               max_bytes=load_settings().max_file_bytes)
    except UnitListError as exc:
        if args.json:
            emit_json({"file": str(path), "imported": False, "errors": [p.as_dict() for p in exc.problems]})
        else:
            _print_problems(path, exc.problems)
        return EXIT_REJECTED
    if args.json:
        emit_json(summary.as_dict())
    else:
        _print_summary(path, summary)
    return EXIT_OK


def add_reference(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    from ingest.intake.unit_list import FILE_FORMAT

    ref = sub.add_parser("reference", help="administrative reference data (unit lists of earlier years)")
    ref_sub = ref.add_subparsers(dest="reference_command", required=True, metavar="SUBCOMMAND")
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
