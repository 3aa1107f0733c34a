"""No password or token in the repository, in what a run writes (Data Docs, audit, logs)."""

from __future__ import annotations

import logging
import re
import subprocess
from datetime import date
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ingest import pipeline
from ingest.store.db import migrate_all

ROOT = Path(__file__).resolve().parents[2]
SECRET_PATTERNS = [
    re.compile(r"postgres(?:ql)?://[^:/@\s]+:(?!\$\{|\{\{|<|\*)[^@\s/]{3,}@", re.I),     # URL with a password
    re.compile(r"(?:password|passwd|secret|token|api_key)\s*(?:=|:(?!'))\s*['\"][^'\"${}<]{6,}['\"]", re.I),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(?:AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|xox[bp]-[A-Za-z0-9-]{20,})\b"),
]
ALLOWED = re.compile(r"(example|change[-_]?me|placeholder|test_secret|S3cretOnlyInTests|user:password@)", re.I)


def secrets_in(text: str) -> list[str]:
    return [m.group(0) for p in SECRET_PATTERNS for m in p.finditer(text) if not ALLOWED.search(m.group(0))]


def test_no_secret_in_tracked_files():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = {}
    for name in files:
        path = ROOT / name
        if name.endswith(("uv.lock", "package-lock.json", "tests/integration/test_secrets.py")) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits = secrets_in(text)
        if hits:
            found[name] = hits
    assert not found, f"credentials committed: {found}"


def test_a_run_writes_no_password_to_data_docs_audit_or_logs(fresh_database_url, tmp_path, monkeypatch, caplog):
    from ingest.devtools.generate import generate
    from ingest.store.runs import record_runs
    from ingest.warehouse.reconcile import check_marts

    info = conninfo_to_dict(fresh_database_url)
    # a server that checks passwords (the local cluster does) needs the real one: it is the secret then
    secret = info.get("password") or "S3cretOnlyInTests"
    url = f"postgresql://{info['user']}:{secret}@{info['host']}:{info['port']}/{info['dbname']}"
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NTM_DATA_DOCS_DIR", str(tmp_path / "docs"))
    caplog.set_level(logging.DEBUG)
    migrate_all(url)
    files = generate("27", [date(2023, 5, 1)], tmp_path / "gen", seed=2)[:2]
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    pipeline.ingest_paths([*map(str, files), str(bad)], url, build_docs=True)
    run = check_marts(url, date(2023, 5, 1))
    with psycopg.connect(url) as conn:
        record_runs(conn, [run], None)
        dumped = conn.execute(
            """SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM (
                   SELECT to_jsonb(v)::text AS t FROM audit.validation_run v
                   UNION ALL SELECT to_jsonb(f)::text FROM audit.finding f
                   UNION ALL SELECT to_jsonb(s)::text FROM audit.submission s) x""").fetchone()[0]
    site = list((tmp_path / "docs").rglob("*.html")) + list((tmp_path / "docs").rglob("*.json"))
    assert site, "Data Docs were built"
    assert all(secret not in p.read_text(encoding="utf-8", errors="replace") for p in site)
    assert secret not in dumped
    assert secret not in caplog.text
