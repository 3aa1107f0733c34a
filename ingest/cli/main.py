"""`ntm`: the data engineers' command line (../shared/spec/cli.md): the parser and `main`.

The commands live by group in `ingest_cmds` (ingest, transform, run), `report_cmds` (status, audit,
report), `reference_cmds` (reference import-units) and `dev_cmds` (db, template, generate, demo).
Every heavy import happens inside a command, so `ntm --help` stays fast.

Exit status: 0 success; 1 the command ran but something was rejected or failed a check;
2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys

from ingest.cli import dev_cmds, ingest_cmds, reference_cmds, report_cmds
from ingest.cli.common import EXIT_USAGE, UsageError, connection_error, storage_error

# In the order `ntm --help` lists them.
COMMANDS = (dev_cmds.add_db, dev_cmds.add_template, dev_cmds.add_generate, ingest_cmds.add_ingest,
            ingest_cmds.add_transform, ingest_cmds.add_run, report_cmds.add_status, report_cmds.add_audit,
            report_cmds.add_report, reference_cmds.add_reference, dev_cmds.add_demo,
            report_cmds.add_feedback)


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
    for add in COMMANDS:
        add(sub, common)
    return p


def _configuration_error(exc: ValueError) -> bool:
    from ingest.config import ConfigError  # pydantic-settings: imported only when something failed

    return isinstance(exc, ConfigError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"ntm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        if not _configuration_error(exc):
            raise
        print(f"ntm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        # an unreachable database or shared storage: one line, exit 2 (cli.md)
        line = connection_error(exc) or storage_error(exc)
        if line is None:
            raise
        print(f"ntm: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
