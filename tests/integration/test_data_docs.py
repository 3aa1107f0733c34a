"""Data Docs render fully offline: headless Chromium with the network blocked loads only local
files, the page is styled by Bootstrap, jQuery / Vega / bootstrap-table run, Font Awesome's font
applies, and the suite's expectations are on the page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ingest.config import load_settings
from ingest.quality.data_docs import node_modules

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = pytest.mark.skipif(not (node_modules() / "bootstrap").exists(),
                                reason="Data Docs libraries not installed: run `npm ci --prefix expectations`")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")

PROBE = """
<script>
window.addEventListener('load', function () { setTimeout(function () {
  var nav = document.querySelector('.navbar');
  var icon = document.querySelector('i[class*="fa-"]');
  var probe = {
    bodyFont: getComputedStyle(document.body).fontFamily,
    navbarDisplay: nav ? getComputedStyle(nav).display : null,
    iconFont: icon ? getComputedStyle(icon).fontFamily : null,
    jquery: typeof window.jQuery,
    vegaEmbed: typeof window.vegaEmbed,
    bootstrapTable: !!(window.jQuery && window.jQuery.fn.bootstrapTable),
    stylesheets: document.styleSheets.length
  };
  var pre = document.createElement('pre'); pre.id = 'ntm-probe';
  pre.textContent = JSON.stringify(probe); document.body.appendChild(pre);
}, 300); });
</script>
"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--virtual-time-budget=8000", "--window-size=1280,1600", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


# Chromium's own background services still try these hosts (blocked by the proxy); the page must
# not ask for any other remote address.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com", "googleusercontent.com")


def _probe(page: Path, tmp: Path, extra: str = "") -> tuple[dict, str, set[str]]:
    """Load a copy of `page` (same folder, so relative links resolve) with the probe script.
    Returns the probe's findings, the DOM after scripts ran, and the remote hosts the page asked for
    (from Chromium's net log)."""
    probe = page.with_name(f"_probe_{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", extra + PROBE + "</body>"), encoding="utf-8")
    netlog = tmp / f"net-{page.stem}.json"
    try:
        done = _chromium(tmp, f"--log-net-log={netlog}", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    m = re.search(r'<pre id="ntm-probe">(.*?)</pre>', done.stdout, re.S)
    assert m, f"no probe output; stderr: {done.stderr[-2000:]}"
    urls = re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(errors="replace")) if netlog.exists() else []
    hosts = {urlparse(u).hostname or "" for u in urls}
    remote = {h for h in hosts if not h.endswith(BROWSER_HOSTS) and h not in ("localhost", "127.0.0.1")}
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")), done.stdout, remote


def _static_links(html: str) -> list[str]:
    """Addresses the page loads by itself (scripts, stylesheets, images, CSS url())."""
    links = re.findall(r'<(?:script|img)[^>]*\ssrc="([^"]+)"', html)
    links += re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    links += re.findall(r"url\(['\"]?([^'\")]+)", html)
    return links


def test_site_is_written_under_the_configured_folder(site) -> None:
    docs, url = site
    assert url.startswith("file://") and Path(urlparse(url).path).is_file()
    assert Path(urlparse(url).path).is_relative_to(docs)
    assert (docs / "index.html").is_file() and (docs / "expectations" / "ocop.html").is_file()
    assert load_settings().data_docs_dir == docs


def test_pages_reference_no_remote_resource(site) -> None:
    docs, _ = site
    pages = [docs / "index.html", *docs.glob("expectations/*.html"), *docs.glob("validations/*/*.html")]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote = [u for u in _static_links(html) if re.match(r"^(https?:)?//", u)]
        assert not remote, f"{page.name} loads {remote}"
        for link in _static_links(html):
            if not link.startswith("data:"):
                assert (page.parent / link.split("?")[0]).resolve().exists(), f"{page.name}: {link} missing"


@needs_chromium
def test_validation_page_renders_styled_offline(site, tmp_path) -> None:
    _, url = site
    probe, dom, remote = _probe(Path(urlparse(url).path), tmp_path)
    assert not remote, f"the page asked for remote hosts: {remote}"
    assert probe["stylesheets"] >= 6                          # the vendored stylesheets loaded
    assert "apple-system" in probe["bodyFont"] or "Roboto" in probe["bodyFont"]   # Bootstrap's font stack
    assert probe["navbarDisplay"] == "flex"                   # Bootstrap's .navbar
    assert probe["jquery"] == "function" and probe["vegaEmbed"] == "function" and probe["bootstrapTable"]
    assert probe["iconFont"] is None or "Font Awesome" in probe["iconFont"]
    assert "stars_out_of_range" in dom or "stars" in dom      # the failed expectation is shown


@needs_chromium
def test_suite_page_shows_the_expectations_and_a_screenshot_is_not_blank(site, tmp_path) -> None:
    docs, _ = site
    page = docs / "expectations" / "ocop.html"
    probe, dom, remote = _probe(page, tmp_path)
    assert not remote, remote
    assert probe["navbarDisplay"] == "flex"
    for column in ("stars", "validity_offset_days", "product_group", "status", "product_key"):
        assert column in dom
    shot = tmp_path / "ocop.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000, "a styled page with tables and a logo compresses to more than 30 kB"
