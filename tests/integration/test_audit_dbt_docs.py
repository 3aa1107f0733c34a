"""`make docs` (issue 13, item 8): dbt's static single page, with the manifest and catalog
embedded, renders its model list when opened from the file system in headless Chromium (the
plain index.html stays on "loading" there: it fetches JSON, which file:// pages may not)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.audit import chromium_path


def test_static_page_embeds_what_it_needs(static_page: Path) -> None:
    assert static_page.name == "static_index.html" and static_page.is_file()
    html = static_page.read_text(encoding="utf-8")
    assert '"model.ntm.mart_progress"' in html                # the manifest is in the page
    assert not re.search(r"""fetch\(['"]manifest\.json""", html)


def _dom(page: str, profile: Path) -> str:
    done = subprocess.run([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
                           "--virtual-time-budget=15000", "--dump-dom", page], capture_output=True, text=True, timeout=300)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return re.sub(r"<script.*?</script>", "", done.stdout, flags=re.S)   # the page as rendered, not its data


def _project_models() -> set[str]:
    root = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
    return {p.stem for p in root.rglob("*.sql")}


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")
def test_static_page_renders_its_model_list_from_the_file_system(static_page: Path, tmp_path: Path) -> None:
    dom = _dom(static_page.as_uri(), tmp_path / "p1")
    rendered = set(re.findall(r'href="#!/model/model\.ntm\.(\w+)"', dom))      # the sidebar's model links
    assert len(rendered) >= 5 and rendered <= _project_models(), rendered
    for model, materialized in (("mart_progress", "incremental"), ("fct_district_status", "table")):
        page = _dom(f"{static_page.as_uri()}#!/model/model.ntm.{model}", tmp_path / f"p-{model}")
        titles = [re.sub(r"<[^>]+>", " ", t).split() for t in re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)]
        assert [model, materialized] in [t[:2] for t in titles], titles


def test_make_docs_says_where() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^docs:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "ingest.warehouse.docs_site" in target
