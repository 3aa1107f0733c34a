"""Issue 14, class 2: text from a submission never becomes live markup in any output.

A regression corpus of hostile strings (HTML that runs, a script, rich markup, ANSI escape
sequences, a carriage return, a spreadsheet formula, bidi overrides: tests/fixtures/audit.py,
HOSTILE) goes into real submissions (a workbook, CSV files, a file name, a workbook GX rejects)
through the real pipeline, then through each output: the Data Docs pages and the audit site
(opened in headless Chromium: no script from a submission runs), `ntm audit`, `ntm status` and
`ntm ingest` lines (no escape sequence or control character, rich markup printed as text), and
the feedback workbooks (no formula)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlparse

import openpyxl
import psycopg
import pytest

from ingest.quality.data_docs import node_modules
from ingest.serve.feedback import SUMMARY_SHEET
from tests.fixtures.audit import (
    FORMULA,
    IMG,
    NOT_A_WORKBOOK,
    RICH,
    SCRIPT,
    browse,
    chromium_path,
    live_markup,
)

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")
NTM = Path(sys.executable).with_name("ntm")
RAW_HTML = (IMG, SCRIPT, "<script>")          # never as such in a page's source
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _ntm(hostile_audit: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NTM_STATE_DIR": str(hostile_audit["state"]), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([str(NTM), *args, "--database-url", hostile_audit["url"]], capture_output=True,
                          text=True, env=env, timeout=600)


def _terminal_safe(text: str) -> None:
    assert "\x1b" not in text, "an escape sequence reached the terminal"
    assert not UNSAFE_CHARS.search(text), repr(UNSAFE_CHARS.search(text).group(0))


def _data_docs_page(hostile_audit: dict) -> Path:
    with psycopg.connect(hostile_audit["url"]) as conn:
        url = conn.execute("SELECT data_docs_url FROM audit.validation_run WHERE submission_id = %s AND suite = 'ocop'",
                           (hostile_audit["ids"]["260v2"],)).fetchone()[0]
    return Path(unquote(urlparse(url).path))


def test_the_corpus_reached_every_store(hostile_audit) -> None:
    """The hostile strings are really in the audit trail (else the tests below prove nothing)."""
    with psycopg.connect(hostile_audit["url"]) as conn:
        values = {r[0] for r in conn.execute("SELECT value FROM audit.finding WHERE value IS NOT NULL")}
        names = {r[0] for r in conn.execute("SELECT file_name FROM audit.submission")}
    assert {IMG, RICH, SCRIPT, FORMULA} <= values
    assert any("\x1b" in v for v in values)                              # the CSV's ANSI mark
    assert NOT_A_WORKBOOK in names
    assert hostile_audit["outcomes"][hostile_audit["ids"]["260v2"]] == "rejected"   # by GX
    page = _data_docs_page(hostile_audit).read_text(encoding="utf-8")
    assert escape(IMG, quote=True) in page and escape(SCRIPT, quote=True) in page


def test_data_docs_source_holds_no_raw_markup_and_no_vendor_banner(hostile_audit) -> None:
    docs = hostile_audit["state"] / "data_docs"
    pages = [docs / "index.html", *docs.glob("validations/*/*.html")]
    assert len(pages) > 8
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for raw in (IMG, SCRIPT):
            assert raw not in html, f"{page.name} holds {raw!r} unescaped"
        assert "newsletter" not in html.lower(), f"{page.name} carries GX's newsletter banner"
        assert not UNSAFE_CHARS.search(html.replace("\n", "").replace("\t", "").replace("\r", ""))


@needs_chromium
@pytest.mark.skipif(not (node_modules() / "bootstrap").exists(), reason="Data Docs libraries not installed")
def test_data_docs_page_runs_no_script_from_a_submission(hostile_audit, tmp_path) -> None:
    page = _data_docs_page(hostile_audit)
    dom = browse(page, tmp_path, budget_ms=8000)
    assert live_markup(dom) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom                  # shown as text
    assert "ntm-per-submission" in dom and f"#{hostile_audit['ids']['260v2']} 260 2023-05" in dom  # per file


def test_audit_site_source_holds_no_raw_markup(hostile_audit) -> None:
    site = hostile_audit["index"].parent
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 12
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for raw in RAW_HTML:
            assert raw not in html, f"{page.relative_to(site)} holds {raw!r}"
        assert not UNSAFE_CHARS.search(html.replace("\n", "")), page
        assert "Content-Security-Policy" in html


@needs_chromium
def test_audit_site_runs_no_script_from_a_submission(hostile_audit, tmp_path) -> None:
    site, ids = hostile_audit["index"].parent, hostile_audit["ids"]
    pages = [site / "index.html", site / "2023-05" / "27" / "258.html", site / "2023-05" / "27" / "262.html",
             *(site / "submission" / f"{ids[k]}.html" for k in ("258", "259", "262", "260v2"))]
    for page in pages:
        dom = browse(page, tmp_path)
        assert live_markup(dom) == [], page
    dom = browse(site / "submission" / f"{ids['258']}.html", tmp_path)
    for text in (IMG, SCRIPT, RICH, FORMULA):
        assert escape(text, quote=False) in dom.replace("&quot;", '"').replace("&#x27;", "'") \
            or escape(text, quote=True) in dom, text                     # visible, as text


def test_ntm_audit_prints_submission_text_inert(hostile_audit) -> None:
    done = _ntm(hostile_audit, "audit", "--month", "2023-05", "--all")
    assert done.returncode == 0, done.stderr
    _terminal_safe(done.stdout)
    assert "[blink]cột lạ[/blink]" in done.stdout                        # markup printed as text, ESC gone
    assert "[bold red]đỏ.xlsx" in done.stdout                            # the file name, bidi and ESC gone
    assert "2023-05_262_v1 abcd [bold red]đỏ.xlsx" in done.stdout


def test_ntm_status_prints_plain_lines(hostile_audit) -> None:
    done = _ntm(hostile_audit, "status", "--month", "2023-05")
    assert done.returncode == 0, done.stderr
    _terminal_safe(done.stdout)
    assert "Huyện Yên Phong (258)" in done.stdout


def test_ntm_ingest_lines_escape_file_names_and_findings(hostile_audit, tmp_path) -> None:
    src = next((hostile_audit["state"] / "archive").rglob("*.zip"))       # 259's CSV files, archived
    folder = tmp_path / "2023-05_264_v1 [blink]\x1b[2J"
    folder.mkdir()
    with zipfile.ZipFile(src) as z:
        z.extractall(folder)
    with (folder / "ho_tro.csv").open("a", encoding="utf-8") as f:   # other bytes than 259's: no duplicate
        f.write("")
    info = folder / "thong_tin.csv"
    info.write_text(info.read_text(encoding="utf-8").replace("\nversion,1", "\nversion,3"), encoding="utf-8")
    done = _ntm(hostile_audit, "ingest", "--no-docs", str(folder))
    assert done.returncode == 1, done.stderr                             # rejected (the hostile marks)
    _terminal_safe(done.stdout)
    assert "2023-05_264_v1 [blink]  unit 259" in done.stdout             # markup as text, ESC sequence gone
    assert "bad_mark: tieu_chi_xa row 2 column tc01 value 'Đ'" in done.stdout   # the ANSI-laden mark, inert


def test_feedback_workbooks_hold_no_formula(hostile_audit) -> None:
    assert hostile_audit["outbox"]
    for path in hostile_audit["outbox"].values():
        wb = openpyxl.load_workbook(path)
        summary = wb[SUMMARY_SHEET]
        for row in summary.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not UNSAFE_CHARS.search(cell.value.replace("\n", "")), (path.name, cell.coordinate)
        for ws in wb.worksheets[1:]:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.comment is not None:
                        assert not UNSAFE_CHARS.search(cell.comment.text.replace("\n", ""))
    formulas = [c.value for p in hostile_audit["outbox"].values() for c in openpyxl.load_workbook(p)[SUMMARY_SHEET]["E"]
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert FORMULA in formulas                                           # present, as text
