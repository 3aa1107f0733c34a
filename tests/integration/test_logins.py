"""`ntm db create-login` and passwords on the local cluster (issue 13 item 9, issue 16)."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from ingest.cli.main import main
from ingest.config import load_settings
from ingest.store import localdb
from tests.fixtures.rls import url_for

PASSWORD_LINE = re.compile(r"password \(shown once, keep it now\): (\S+)")


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _drop(url: str, *names: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_create_login_prints_a_generated_password_once_and_it_works(url, capsys):
    name = _name("bi")
    try:
        assert main(["db", "create-login", name, "--role", "bi_reader", "--province", "27",
                     "--database-url", url]) == 0
        out = capsys.readouterr().out
        password = PASSWORD_LINE.search(out).group(1)
        assert out.count(password) == 1 and "province 27" in out
        with psycopg.connect(url_for(url, name, password)) as conn:
            member, scope = conn.execute(
                "SELECT pg_has_role(session_user, 'ntm_bi_reader', 'MEMBER'), meta.reader_province()").fetchone()
            assert (member, scope) == (True, "27")
            assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone() == (False,)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(url_for(url, name, password + "x")).close()
    finally:
        _drop(url, name)


def test_create_login_takes_the_password_from_the_environment(url, capsys, monkeypatch):
    name = _name("aud")
    monkeypatch.setenv("NTM_LOGIN_PASSWORD", "given-in-env-" + uuid.uuid4().hex[:6])
    try:
        assert main(["db", "create-login", name, "--role", "auditor", "--database-url", url, "--json"]) == 0
        assert '"password": null' in capsys.readouterr().out
        with psycopg.connect(url_for(url, name, load_settings().login_password.get_secret_value())) as conn:
            assert conn.execute("SELECT pg_has_role(session_user, 'ntm_auditor', 'MEMBER'),"
                                " pg_has_role(session_user, 'ntm_bi_reader', 'MEMBER')").fetchone() == (True, False)
            assert conn.execute("SELECT count(*) FROM audit.submission").fetchone() == (0,)
    finally:
        _drop(url, name)


@pytest.mark.parametrize("args, message", [
    (["--role", "auditor", "--province", "27"], "--province is for bi_reader"),
    (["--role", "bi_reader", "--province", "99"], "province 99 is not in the reference list"),
    (["--role", "bi_reader", "--province", "2x"], "a GSO province code"),
    ([], "usage: ntm db create-login"),
])
def test_create_login_refuses_what_it_cannot_do(args, message, url, capsys):
    name = _name("bad")
    try:
        assert main(["db", "create-login", name, *args, "--database-url", url]) == 2
        assert message in capsys.readouterr().err
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None
    finally:
        _drop(url, name)


@pytest.mark.parametrize("name", ["postgres", "ntm_loader", "pg_monitor", "Bad-Name", "x" * 64])
def test_create_login_never_takes_over_or_misnames_a_role(name, url, capsys):
    assert main(["db", "create-login", name, "--role", "bi_reader", "--database-url", url]) == 2
    assert "login name" in capsys.readouterr().err


def test_create_login_refuses_an_existing_role(url, capsys):
    name = _name("dup")
    try:
        assert main(["db", "create-login", name, "--role", "bi_reader", "--database-url", url]) == 0
        assert main(["db", "create-login", name, "--role", "auditor", "--database-url", url]) == 2
        assert "exists already" in capsys.readouterr().err
    finally:
        _drop(url, name)


@pytest.fixture
def local_cluster_url(server_url: str) -> str:
    if load_settings().database_url:
        pytest.skip("NTM_DATABASE_URL points elsewhere: these tests are about the project's own cluster")
    return server_url


def test_the_local_cluster_refuses_tcp_without_the_right_password(local_cluster_url):
    info = conninfo_to_dict(local_cluster_url)
    assert info["user"] == "postgres" and info.get("password"), "the owner's URL carries its password"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url_for(local_cluster_url, "postgres", "wrong")).close()
    without = {k: v for k, v in info.items() if k != "password"}
    with pytest.raises(psycopg.OperationalError, match="no password supplied|password authentication failed"):
        psycopg.connect(**without, connect_timeout=5).close()
    with psycopg.connect(local_cluster_url) as conn:
        methods = {r[0] for r in conn.execute(
            "SELECT auth_method FROM pg_hba_file_rules WHERE type LIKE 'host%'")}
        assert methods == {"scram-sha-256"}


def test_the_owner_socket_is_the_one_connection_without_a_password(local_cluster_url):
    settings = load_settings()
    import subprocess

    res = subprocess.run([*localdb.socket_psql(settings, "postgres"), "SELECT current_user"],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "postgres", res.stderr
    res = subprocess.run([*localdb.socket_psql(settings, "postgres")[:-1], "-U", "ntm_bi_reader",
                          "-tAc", "SELECT 1"], capture_output=True, text=True)
    assert res.returncode != 0 and "pg_hba.conf rejects" in res.stderr
