"""`--format pdf`: the bulletin's HTML printed by headless Chromium (its print stylesheet, A4)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FALLBACK = Path("/usr/bin/chromium")  # where `make setup` installs it (Debian)


class PdfError(RuntimeError):
    """Chromium is missing or could not print; the message says what to do."""


def chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if FALLBACK.exists():
        return str(FALLBACK)
    raise PdfError("PDF needs headless Chromium: install it (`make setup` or `apt-get install chromium`), "
                   "or write HTML (`--format html`) and print it from a browser")


def html_to_pdf(page: str, output: Path, timeout: float = 180) -> Path:
    """Print `page` (the bulletin's HTML) to `output` with headless Chromium. The page is loaded from
    a private temporary folder, the browser gets a throw-away profile and no network (the page needs
    none: everything is inline)."""
    with tempfile.TemporaryDirectory(prefix="ntm-bulletin-") as tmp:
        source = Path(tmp) / "bulletin.html"
        source.write_text(page, encoding="utf-8")
        target = Path(tmp) / "bulletin.pdf"
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-extensions", f"--user-data-dir={Path(tmp) / 'profile'}",
               "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
               "--no-pdf-header-footer", f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} s") from exc
        if not target.exists() or target.stat().st_size == 0:
            raise PdfError(f"Chromium could not print the bulletin (exit {done.returncode}): "
                           f"{done.stderr.strip()[-500:]}")
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(target, output)
    return output


def page_count(pdf: Path) -> int:
    """Pages of a PDF that Chromium wrote (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))
