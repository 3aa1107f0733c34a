"""No silent month (issue 13, item 1): a month in which nobody submitted is a run whose coverage
lists every expected unit missing, whose notification says so in its subject, and which says
where it looked. Who is expected: the deployment's provinces, the whole country when
NTM_PROVINCES is unset (marts.md, "Who is expected")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

from ingest.config import load_settings
from ingest.pipeline import run_month
from ingest.serve.coverage import coverage
from ingest.serve.notify import message
from ingest.serve.run_summary import print_run_summary
from ingest.warehouse.build import dbt_vars
from tests.fixtures.pipeline import Webhook

# Bắc Ninh's districts with xã (its cities of Bắc Ninh (256) and Từ Sơn (261) have wards only)
EXPECTED_27 = ["258", "259", "260", "262", "263", "264"]
AUGUST = date(2023, 8, 1)
OCTOBER_2026 = date(2026, 10, 1)   # under the 2025 list: the 34 provinces submit


def test_a_month_with_zero_files_lists_every_expected_unit_missing(url: str, tmp_path: Path, webhook: Webhook,
                                                                   monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("NTM_PROVINCES", "27")
    monkeypatch.setenv("NTM_NOTIFY_URL", webhook.url)
    inbox = tmp_path / "inbox"
    (inbox / "2023-07").mkdir(parents=True)   # another month's folder: not looked at
    summary = run_month(AUGUST, str(inbox), url, build_docs=False)

    assert summary["files"] == 0 and summary["published"] is True
    assert summary["looked_in"] == str(inbox / "2023-08")
    assert [(r["district_code"], r["status"]) for r in coverage(url, AUGUST)] == [(u, "missing") for u in EXPECTED_27]
    cov = summary["coverage"]
    assert [(r["district_code"], r["submitted"]) for r in cov] == [(u, False) for u in EXPECTED_27]

    [posted] = webhook.received
    assert posted["subject"] == "[NTM] 2023-08: KHÔNG ĐƠN VỊ NÀO NỘP / NOTHING RECEIVED: 6/6 chưa nộp / missing"
    assert posted["outcome"] == "warning"
    assert f"Thư mục đã xem / looked in: {inbox / '2023-08'} (0 tệp / files) — KHÔNG CÓ TỆP NÀO / NO FILES FOUND" \
        in posted["text"]
    assert "Huyện chưa nộp / missing districts: 258, 259, 260, 262, 263, 264" in posted["text"]
    assert posted["summary"]["coverage"]["missing_units"] == EXPECTED_27
    with psycopg.connect(url) as conn:
        state, month = conn.execute("SELECT state, logical_month FROM audit.pipeline_run").fetchone()
    assert (state, month) == ("success", AUGUST)

    from rich.console import Console
    print_run_summary(Console(highlight=False, width=200), summary)
    out = capsys.readouterr().out
    assert f"no files in {inbox / '2023-08'}" in out
    assert "coverage 2023-08: 6 expected: 0 on time, 0 late, 6 missing, 0 rejected" in out


def test_unset_provinces_expect_the_whole_country(url: str, tmp_path: Path, webhook: Webhook,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NTM_PROVINCES", raising=False)
    monkeypatch.setenv("NTM_NOTIFY_URL", webhook.url)
    summary = run_month(OCTOBER_2026, str(tmp_path / "inbox"), url, build_docs=False)
    rows = coverage(url, OCTOBER_2026)
    # the 34 provinces of the 2025 list, each one submitting unit, none received: nobody is "OK"
    assert len(rows) == 34 and {r["status"] for r in rows} == {"missing"}
    assert {r["district_code"] for r in rows} >= {"01", "24", "79"}
    assert webhook.received[0]["subject"] == (
        "[NTM] 2026-10: KHÔNG ĐƠN VỊ NÀO NỘP / NOTHING RECEIVED: 34/34 chưa nộp / missing")
    assert summary["published"] is True


def test_the_default_is_the_whole_country_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NTM_PROVINCES", raising=False)
    assert load_settings().provinces is None
    assert dbt_vars() == {"ntm_provinces": "all"}
    monkeypatch.setenv("NTM_PROVINCES", "24, 27")
    assert dbt_vars() == {"ntm_provinces": "24,27"}
    project = yaml.safe_load((Path(__file__).parents[2] / "dbt_project/dbt_project.yml").read_text())
    assert project["vars"]["ntm_provinces"] == "all"    # dbt run by hand agrees with the pipeline


def test_an_empty_coverage_is_never_ok() -> None:
    """A run whose coverage is unknown (no unit expected: the marts were not built for the month)
    is not reported as OK."""
    subject, body = message({"month": "2023-08", "run_id": 1, "files": 0, "looked_in": "/inbox/2023-08",
                             "rejected": [], "coverage": {"expected": 0}})
    assert subject == "[NTM] 2023-08: KHÔNG RÕ ĐƠN VỊ PHẢI NỘP / NO UNIT EXPECTED (coverage unknown)"
    assert "OK" not in subject and "Kết quả / outcome: warning" in body
