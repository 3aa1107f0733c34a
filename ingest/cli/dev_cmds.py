"""`ntm db`, `ntm template`, `ntm generate`, `ntm demo`: the local cluster and the dev tools."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ingest.cli import login_cmds
from ingest.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    Subparsers,
    UsageError,
    database_url,
    emit_json,
    months,
)


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
            emit_json({"running": running, "data_dir": str(settings.pg_dir),
                       "url": localdb.url(settings) if running else None})
        else:
            print(f"local cluster: {'running at ' + localdb.url(settings) if running else 'not running'}"
                  f" (data in {settings.pg_dir})")
        return EXIT_OK if running else EXIT_REJECTED
    elif args.db_command == "url":
        print(database_url(args))
    elif args.db_command == "migrate":
        applied = _migrate(database_url(args))
        print("applied: " + ", ".join(applied) if applied else "up to date")
    elif args.db_command == "create-login":
        return login_cmds.cmd_create_login(args)
    return EXIT_OK


def _migrate(url: str) -> list[str]:
    """`ntm db migrate`: every migration; a role that may not is one line naming the role needed."""
    from ingest.store.db import MigrationPrivilegeError, ensure_ready

    try:
        return ensure_ready(url, always=True)
    except MigrationPrivilegeError as exc:
        raise UsageError(str(exc)) from exc


def cmd_template(args: argparse.Namespace) -> int:
    from ingest.devtools.template import write_template

    if (args.unit is None) != (args.month is None):
        raise UsageError("give --unit and --month together (or neither, for the blank workbook)")
    month = months(args.month)[0] if args.month else None
    try:
        print(write_template(Path(args.output), args.unit, month))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from ingest.config import load_settings
    from ingest.devtools.generate import generate

    t0 = time.perf_counter()
    args.output = args.output or load_settings().inbox   # the configured inbox by default
    if args.version < 1:
        raise UsageError(f"--version must be 1 or more, not {args.version}")
    paths = generate(args.province, months(args.months), Path(args.output), seed=args.seed,
                     messy=args.messy, fmt=args.format, version=args.version)
    if args.json:
        emit_json([str(p) for p in paths])
    else:
        print(f"wrote {len(paths)} submission(s) under {args.output} in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest.devtools.demo import run_demo

    return run_demo(args.database_url, months=months(args.months), province=args.province)


def add_db(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", help="manage the local PostgreSQL cluster and the schemas", parents=[common])
    db.add_argument("db_command", choices=["start", "stop", "status", "url", "migrate", "create-login"],
                    help="start/stop/status of the local cluster; url to connect; migrate schemas and roles; "
                         "create-login NAME --role bi_reader|auditor [--province CODE] for a BI user or auditor")
    login_cmds.add_login_arguments(db)
    db.set_defaults(func=cmd_db)


def add_template(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    t = sub.add_parser("template", help="write the blank submission workbook for districts", parents=[common])
    t.add_argument("-o", "--output", default="ntm_template.xlsx", help="file to write (default: %(default)s)")
    t.add_argument("--unit", help="the submitting unit's code: its codes are filled in and the commune "
                                  "dropdowns list its xã only")
    t.add_argument("--month", help="YYYY-MM, the reporting month of the unit's template (with --unit)")
    t.set_defaults(func=cmd_template)


DEMO_SEED = 2023  # ingest.devtools.generate.DEMO_SEED (not imported: the parser stays cheap to build)


def add_generate(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser("generate", help="write realistic synthetic submissions", parents=[common])
    g.add_argument("--province", required=True, help="GSO province code (e.g. 27) or 'all'")
    g.add_argument("--months", required=True, help="YYYY-MM or a range YYYY-MM..YYYY-MM")
    g.add_argument("-o", "--output", default=None,
                   help="folder to write into (one subfolder per month; default: the inbox, NTM_INBOX)")
    g.add_argument("--seed", type=int, default=DEMO_SEED,
                   help="random seed; same seed, same files (default: %(default)s, the demo's: continues its data)")
    g.add_argument("--version", type=int, default=1,
                   help="the version the files declare (default: %(default)s); 2 or more for corrections")
    g.add_argument("--messy", action="store_true", help="make the files look hand-made")
    g.add_argument("--format", choices=["xlsx", "zip", "csv"], default="xlsx",
                   help="workbooks, zips of CSVs, or CSV folders (default: %(default)s)")
    g.set_defaults(func=cmd_generate)


def add_demo(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    d = sub.add_parser("demo", help="set up and run the pipeline end to end on sample data", parents=[common])
    d.add_argument("--province", default="27", help="province to generate (default: %(default)s, Bắc Ninh)")
    d.add_argument("--months", default="2023-03..2023-05", help="months to run (default: %(default)s)")
    d.set_defaults(func=cmd_demo)
