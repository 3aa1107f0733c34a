"""`ntm report`: the monthly bulletin of a province or district as its coordination office publishes
it: one self-contained HTML page (Jinja2 templates with autoescape, matplotlib charts as inline SVG,
a print stylesheet, no script, no network) or a PDF printed from it by headless Chromium.

- `data`: what the page states, read from the marts (one query per section);
- `render`: the page (templates/ holds the template and the stylesheet);
- `charts`: the charts; `vn`: Vietnamese number and date style; `pdf`: printing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from ingest.serve.bulletin.data import BulletinData, ReportError, fetch
from ingest.serve.bulletin.pdf import PdfError, html_to_pdf, page_count
from ingest.serve.bulletin.render import SOURCES, render
from ingest.serve.bulletin.vn import vn_number

__all__ = ["SOURCES", "BulletinData", "PdfError", "ReportError", "fetch", "page_count", "render", "vn_number",
           "write_report"]


def write_report(url: str, month: date, unit: str, output: Path,
                 fmt: Literal["html", "pdf"] = "html") -> Path:
    """Write the bulletin of `unit` for `month` to `output` as HTML or PDF."""
    page = render(fetch(url, month, unit))
    if fmt == "pdf":
        return html_to_pdf(page, output)
    output.write_text(page, encoding="utf-8")
    return output
