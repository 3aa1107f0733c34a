"""`ntm db create-login NAME --role bi_reader|auditor [--province CODE]` (../shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import sys

from ingest.cli.common import EXIT_OK, UsageError, emit_json, ready_url


def add_login_arguments(db: argparse.ArgumentParser) -> None:
    """The arguments of `ntm db create-login`, on the `ntm db` parser."""
    db.add_argument("name", nargs="?", help="create-login: the login's name (lower-case letters, digits, _)")
    db.add_argument("--role", choices=["bi_reader", "auditor"],
                    help="create-login: bi_reader (reads marts) or auditor (reads marts and audit)")
    db.add_argument("--province", help="create-login: a bi_reader that sees only this province's rows "
                                       "(GSO code, e.g. 27)")


def cmd_create_login(args: argparse.Namespace) -> int:
    from ingest.config import load_settings
    from ingest.store.logins import LoginError, create_login, generate_password

    if not args.name or not args.role:
        raise UsageError("usage: ntm db create-login NAME --role bi_reader|auditor [--province CODE]")
    settings = load_settings()
    given = settings.login_password.get_secret_value() if settings.login_password else None
    password = given or generate_password()
    url = ready_url(args)
    try:
        login = create_login(url, args.name, args.role, args.province, password=password)
    except LoginError as exc:
        raise UsageError(str(exc)) from exc
    shown = None if given else password  # printed once, only when generated here
    if args.json:
        emit_json({"login": login.name, "role": login.role, "province": login.province, "password": shown})
        return EXIT_OK
    scope = f", rows of province {login.province} only" if login.province else ""
    print(f"created login {login.name} (member of {login.role}{scope})")
    if shown:
        print(f"password (shown once, keep it now): {shown}")
    else:
        print("password: the one given in NTM_LOGIN_PASSWORD")
    print("connect with: postgresql://" + login.name + ":<password>@<host>:<port>/<database>", file=sys.stderr)
    return EXIT_OK
