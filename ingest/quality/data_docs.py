"""Data Docs: GX's own renderers, written into Settings.data_docs_dir, with local copies of the
browser libraries (npm, expectations/node_modules) in place of the CDN links GX's pages carry, so
the site opens with no network. One page per validation run (`validations/<suite>/<run>.html`),
one per suite (`expectations/<suite>.html`) and a small index of both.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.config import Settings, load_settings
from ingest.quality.context import context_root, gx_module, open_context
from ingest.quality.suites import MART, SUITES

log = logging.getLogger(__name__)


# CDN address (prefix) → file under expectations/node_modules, copied to <site>/vendor/<same path>
VENDOR: dict[str, str] = {
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/dist/bootstrap-table.min.css",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
}
VENDOR_DIRS = ("@fortawesome/fontawesome-free/webfonts",)  # fonts the Font Awesome CSS loads relatively
GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_GX_IMAGES = {"logo-long.png", "logo-long-vector.svg", "short-logo.png", "short-logo-vector.svg", "favicon.ico"}
_URL_ATTR = re.compile(r'(src|href)="(https?://[^"]+)"')
_CSS_URL = re.compile(r"""url\(['"]?(https://great-expectations-web-assets[^'")]+)['"]?\)""")
_HOME = re.compile(r'href="(?:\.\./)*index\.html"')
_STATIC = re.compile(r'(src|href)="(?:\.\./|\./)*static/')
_SUITE_LINK = re.compile(r'href="(?:\.\./)+expectations/')
_INTEGRITY = re.compile(r'\s+(integrity="[^"]*"|crossorigin="[^"]*")')
_VENDOR_FOOTER = re.compile(r"<footer>(?:(?!</footer>).)*?newsletter.*?</footer>", re.S | re.I)
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def node_modules(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).expectations_dir / "node_modules"


@functools.cache
def _install_site_assets(site: str, modules: str) -> bool:
    """Copy the vendored libraries and GX's images into the site (once per process)."""
    site_dir, mod_dir = Path(site), Path(modules)
    ok = True
    for rel in [*VENDOR.values(), *VENDOR_DIRS]:
        src, dst = mod_dir / rel, site_dir / "vendor" / rel
        if not src.exists():
            ok = False
            continue
        if dst.exists() and (dst.is_dir() or dst.stat().st_size == src.stat().st_size):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    images = Path(gx_module().__file__).parent / "render" / "view" / "static" / "images"
    shutil.copytree(images, site_dir / "static" / "images", dirs_exist_ok=True)
    if not ok:
        log.warning("Data Docs: browser libraries missing under %s: run `npm ci --prefix expectations`", modules)
    return ok


def localise_html(page: str, depth: int) -> str:
    """Point CDN links of a GX page at the site's local copies; drop SRI attributes (local files)."""
    up = "../" * depth

    def swap(m: re.Match) -> str:
        attr, url = m.group(1), m.group(2)
        if url in VENDOR:
            return f'{attr}="{up}vendor/{VENDOR[url]}"'
        if url.startswith(GX_ASSETS):
            return f'{attr}="{up}static/images/{image(url)}"'
        return m.group(0)

    def image(url: str) -> str:
        name = url[len(GX_ASSETS):].split("?")[0]
        return name if name in _GX_IMAGES else "logo-long.png"

    page = _URL_ATTR.sub(swap, page)
    page = _CSS_URL.sub(lambda m: f"url('{up}static/images/{image(m.group(1))}')", page)
    page = _HOME.sub(f'href="{up}index.html"', page)
    page = _STATIC.sub(lambda m: f'{m.group(1)}="{up}static/', page)
    page = _SUITE_LINK.sub(f'href="{up}expectations/', page)
    page = _VENDOR_FOOTER.sub("", page)   # GX's newsletter banner: not for auditors
    return _INTEGRITY.sub("", page)


def escape_text(value: str) -> str:
    """Text from a submission for a page: escape sequences, control and bidi characters removed,
    HTML-escaped (GX's renderers put unexpected values into the page as they are)."""
    return html.escape(_UNSAFE.sub("", _ANSI.sub("", value)), quote=True)


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def escape_result(result: Any) -> Any:
    """Every value a submission put into a GX result (unexpected values and rows, observed
    values), escaped for HTML in place, before the renderers see them."""
    for r in result.results:
        if r.result:
            r.result = _escaped(dict(r.result))
    return result


def breakdown_html(rows: list[tuple[str, str | None, list[Any]]]) -> str:
    """For a page about a batch: per submission (label, link to its audit page, findings), which
    rows failed in which sheet and column."""
    if not rows:
        return ""
    parts = ['<div class="container-fluid" id="ntm-per-submission"><h3>Theo từng tệp / per submission</h3>'
             '<table class="table table-sm"><thead><tr><th>Tệp</th><th>Kết quả</th><th>Dòng không đạt</th>'
             '</tr></thead><tbody>']
    for label, link, findings in rows:
        name = escape_text(label)
        cell = f'<a href="{escape_text(link)}">{name}</a>' if link else name
        failed: dict[str, list[str]] = {}
        for f in findings:
            failed.setdefault(f"{f.check_name} ({f.sheet or '-'}:{f.column_name or '-'})", []).append(
                str(f.excel_row) if f.excel_row is not None else "-")
        detail = "; ".join(f"{escape_text(k)}: dòng {escape_text(', '.join(v[:50]))}"
                           + (f" … (+{len(v) - 50})" if len(v) > 50 else "") for k, v in failed.items())
        verdict = "không đạt" if any(f.severity == "error" for f in findings) else ("cảnh báo" if findings else "đạt")
        parts.append(f"<tr><td>{cell}</td><td>{verdict}</td><td>{detail or '—'}</td></tr>")
    return "".join(parts) + "</tbody></table></div>"


def _write_atomic(path: Path, text: str) -> Path:
    """Write then rename: readers and parallel (Airflow) writers never see half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_page(site: Path, rel: str, page: str) -> Path:
    return _write_atomic(site / rel, localise_html(page, rel.count("/")))


def page_run_name(when: datetime | None = None, suffix: str | None = None) -> str:
    """A unique run name for a page. It starts with a word so that GX's page title, which tries
    to read the run name as a date, never takes the hex suffix for a time-zone offset (a bare
    `20261201T061321-6777a21a` parses with an offset over 24 h and crashes the renderer)."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"run-{stamp}-{suffix or uuid.uuid4().hex[:8]}"


def render_validation_page(result: Any, suite: str, settings: Settings | None = None,
                           asset: str | None = None,
                           per_submission: list[tuple[str, str | None, list[Any]]] | None = None) -> str:
    """Render one validation result (and, once per process, the suite pages and the index) into
    the site; returns the page's file:// URL. `asset` names what was validated on the page;
    `per_submission` (label, audit page link, findings) says for a batch which rows of which file
    failed. Values from submissions are escaped (`escape_result`): the result is changed in place."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    settings = settings or load_settings()
    site = settings.data_docs_dir
    _install_site_assets(str(site), str(node_modules(settings)))
    _render_suite_pages(str(site), str(context_root(settings)))
    run_name = page_run_name()
    rel = f"validations/{suite}/{run_name}.html"
    result.meta["run_id"] = {"run_name": run_name, "run_time": datetime.now(UTC).isoformat()}
    result.meta["batch_kwargs"] = {"data_asset_name": escape_text(asset or suite)}
    document = ValidationResultsPageRenderer().render(escape_result(result))
    page = DefaultJinjaPageView().render(document)
    if per_submission:
        page = page.replace("<footer>", breakdown_html(per_submission) + "<footer>", 1) \
            if "<footer>" in page else page.replace("</body>", breakdown_html(per_submission) + "</body>", 1)
    path = _write_page(site, rel, page)
    return path.as_uri()


@functools.cache
def _render_suite_pages(site: str, root: str) -> None:
    from great_expectations.render.renderer import ExpectationSuitePageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    site_dir = Path(site)
    ctx = open_context(root)
    for name in (*SUITES, MART):
        document = ExpectationSuitePageRenderer().render(ctx.suites.get(name))
        _write_page(site_dir, f"expectations/{name}.html", DefaultJinjaPageView().render(document))


def _audit_site_link(site: Path) -> str:
    """The audit site (month → province → district → submission), beside the Data Docs."""
    index = load_settings().audit_site_dir / "index.html"
    rel = os.path.relpath(index, site)
    return (f'<p><a href="{html.escape(Path(rel).as_posix())}">Nhật ký kiểm tra theo tháng, tỉnh, huyện / '
            f'audit trail by month, province, district</a> (ntm audit --site)</p>')


def write_index(site: Path) -> Path:
    """A small index of the suites and of the latest validation pages (local styles only)."""
    latest = sorted(site.glob("validations/*/*.html"), key=lambda p: p.name, reverse=True)[:200]
    suites = "".join(f'<li><a href="expectations/{s}.html">{s}</a></li>' for s in (*SUITES, MART))
    runs = "".join(f'<li><a href="{html.escape(p.relative_to(site).as_posix())}">{html.escape(p.parent.name)} · '
                   f'{html.escape(p.stem)}</a></li>' for p in latest)
    page = (f'<!DOCTYPE html><html><head><meta charset="UTF-8"><title>NTM Data Docs</title>'
            f'<link rel="stylesheet" href="vendor/{VENDOR["https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"]}">'
            f'</head><body class="container"><h1>NTM — kiểm tra dữ liệu / data quality</h1>'
            f'{_audit_site_link(site)}'
            f'<h2>Bộ quy tắc / Expectation suites</h2><ul>{suites}</ul>'
            f'<h2>Lần kiểm tra gần nhất / Latest validations</h2><ul>{runs}</ul></body></html>')
    return _write_atomic(site / "index.html", page)


