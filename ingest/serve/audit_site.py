"""The audit site (issue 13, item 6): static pages beside the Data Docs, offline, navigable
month → province → district → submission, with pass/fail in the index.

    <audit_site_dir>/index.html                          months, and per month every unit with pass/fail
    <audit_site_dir>/<YYYY-MM>/index.html                 the month's provinces
    <audit_site_dir>/<YYYY-MM>/<province>/index.html      the province's districts
    <audit_site_dir>/<YYYY-MM>/<province>/<unit>.html     the district's submissions
    <audit_site_dir>/submission/<id>.html                 one submission: its validation runs (links to
                                                          the Data Docs pages), its findings with sheet,
                                                          row, column and value, its feedback workbook

A file whose unit or month could not be read is filed under what its name says (`file_unit_hint`,
`file_period_hint`), else under "không rõ". Every text from a submission goes through
`safe_text.html_text`; the pages carry no script and a Content-Security-Policy that forbids one.
`build_site()` rewrites the whole site and records each submission page in
`audit.validation_run.audit_page_url` (migration 0018).
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from ingest.config import Settings, load_settings
from ingest.serve.feedback import SEVERITY_VI, STATUS_VI, Submission, feedback_path
from ingest.serve.safe_text import html_text as h
from ingest.store.audit_history import live_coverage

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UNKNOWN = "khong-ro"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.pass{background:#d4edda;color:#155724}.fail{background:#f8d7da;
color:#721c24}.other{background:#fff3cd;color:#856404}.badge{padding:.1em .5em;border-radius:.3em;font-weight:600}
nav{margin-bottom:1em}code{white-space:pre-wrap}"""
# a unit's verdict for a month, from its submissions
PASS, FAIL, PENDING, MISSING = "đạt", "không đạt", "đang xử lý", "chưa gửi"


def _rows(conn: psycopg.Connection, query: str, params: dict | None = None) -> list[dict[str, Any]]:
    return conn.cursor(row_factory=dict_row).execute(query, params or {}).fetchall()


def _load(conn: psycopg.Connection) -> tuple[list[dict], dict[int, list[dict]], dict[int, list[dict]], dict[str, str]]:
    subs = _rows(conn, """
        SELECT s.submission_id, s.file_name, s.file_format, s.archive_path, s.bytes, s.version, s.status,
               s.status_reason, s.received_at, s.sha256, s.is_backfill, s.period IS NULL AS period_unread,
               coalesce(s.submitting_unit_code, s.file_unit_hint) AS unit_code,
               coalesce(s.period, CASE WHEN s.file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                       THEN to_date(s.file_period_hint || '-01', 'YYYY-MM-DD') END) AS month,
               coalesce(s.province_code, (SELECT u.province_code FROM ref.admin_unit AS u
                                          WHERE u.unit_code = coalesce(s.submitting_unit_code, s.file_unit_hint)
                                            AND u.unit_level IN ('district', 'province')
                                          ORDER BY u.valid_to DESC NULLS FIRST LIMIT 1)) AS province_code,
               (SELECT count(*) FROM audit.finding AS f WHERE f.submission_id = s.submission_id
                                                          AND f.severity = 'error') AS errors,
               (SELECT count(*) FROM audit.finding AS f WHERE f.submission_id = s.submission_id
                                                          AND f.severity = 'warning') AS warnings
        FROM audit.submission AS s ORDER BY s.received_at, s.submission_id""")
    runs: dict[int, list[dict]] = defaultdict(list)
    for r in _rows(conn, """SELECT run_id, submission_id, suite, success, evaluated, failed, data_docs_url, finished_at
                            FROM audit.validation_run WHERE submission_id IS NOT NULL ORDER BY run_id"""):
        runs[r["submission_id"]].append(r)
    findings: dict[int, list[dict]] = defaultdict(list)
    for f in _rows(conn, """SELECT f.submission_id, coalesce(r.suite, 'reader') AS suite, f.severity, f.check_name,
                                   f.sheet, f.excel_row, f.column_name, f.value, f.message_vi, f.message_en
                            FROM audit.finding AS f LEFT JOIN audit.validation_run AS r USING (run_id)
                            WHERE f.submission_id IS NOT NULL
                            ORDER BY f.submission_id, (f.severity = 'error') DESC, f.sheet, f.excel_row, f.finding_id"""):
        findings[f["submission_id"]].append(f)
    codes = sorted({c for s in subs for c in (s["unit_code"], s["province_code"]) if c})
    names = dict(conn.execute("""SELECT DISTINCT ON (unit_code) unit_code, unit_name FROM ref.admin_unit
                                 WHERE unit_code = ANY(%s) AND unit_level IN ('district', 'province')
                                 ORDER BY unit_code, valid_to DESC NULLS FIRST""", (codes,)).fetchall())
    return subs, runs, findings, names


def verdict(statuses: list[str]) -> str:
    """A unit's verdict for a month: passed when a version is accepted (in force or superseded)."""
    if any(s in ("accepted", "superseded") for s in statuses):
        return PASS
    if any(s == "received" for s in statuses):
        return PENDING
    return FAIL


def _badge(text: str) -> str:
    cls = {PASS: "pass", FAIL: "fail"}.get(text, "other")
    return f'<span class="badge {cls}">{h(text)}</span>'


def _status_badge(status: str) -> str:
    cls = {"accepted": "pass", "rejected": "fail", "stale": "fail"}.get(status, "other")
    return f'<span class="badge {cls}">{h(STATUS_VI.get(status, status))}</span>'


def _page(title: str, body: str, up: int, crumbs: list[tuple[str, str | None]]) -> str:
    root = "../" * up
    nav = " › ".join(f'<a href="{root}{link}">{h(label)}</a>' if link else h(label) for label, link in crumbs)
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<title>{h(title)}</title><style>{STYLE}</style></head><body>'
            f'<nav><a href="{root}index.html">Nhật ký kiểm tra</a>{" › " + nav if nav else ""}</nav>'
            f'<h1>{h(title)}</h1>{body}</body></html>')


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _label(code: str | None, names: dict[str, str]) -> str:
    if not code:
        return "không rõ"
    return f"{names[code]} ({code})" if code in names else code


def _slug(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()) or UNKNOWN


def _month_slug(month: date | None) -> str:
    return f"{month:%Y-%m}" if month else UNKNOWN


def _local(ts: datetime | None) -> str:
    return f"{ts.astimezone(VN):%d/%m/%Y %H:%M:%S}" if ts else ""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h(x)}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _doc_link(url: str | None) -> str:
    if not url:
        return ""
    return f'<a href="{h(url)}">Data Docs</a>' if url.startswith("file://") else h(url)


def build_site(url: str, settings: Settings | None = None) -> Path:
    """Write the whole audit site; returns the index page."""
    settings = settings or load_settings()
    site = settings.audit_site_dir
    with psycopg.connect(url) as conn:
        subs, runs, findings, names = _load(conn)
        tree: dict[str, dict[str, dict[str, list[dict]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        for s in subs:
            tree[_month_slug(s["month"])][_slug(s["province_code"])][_slug(s["unit_code"])].append(s)
        missing: dict[str, list[dict]] = {}
        for month in tree:
            if month != UNKNOWN:
                rows = live_coverage(conn, date.fromisoformat(f"{month}-01"), settings.provinces)
                missing[month] = [r for r in rows if r["status"] == "missing"]
                names.update({r["district_code"]: r["district_name"] for r in missing[month] if r["district_name"]})
                names.update({r["province_code"]: r["province_name"] for r in missing[month] if r["province_name"]})
        pages: dict[int, Path] = {}
        for s in subs:
            pages[s["submission_id"]] = _write(site / "submission" / f"{s['submission_id']}.html",
                                               _submission_page(s, runs, findings, names, settings))
        for month, provinces in tree.items():
            for province, units in provinces.items():
                for unit, items in units.items():
                    _write(site / month / province / f"{unit}.html", _district_page(month, items, names))
                _write(site / month / province / "index.html", _province_page(month, province, units, names))
            _write(site / month / "index.html", _month_page(month, provinces, names, missing.get(month, [])))
        index = _write(site / "index.html", _index_page(tree, names, subs, missing))
        with conn.transaction():
            for sid, path in pages.items():
                conn.execute("UPDATE audit.validation_run SET audit_page_url = %s WHERE submission_id = %s",
                             (path.as_uri(), sid))
    return index


def _unit_rows(month: str, provinces: dict[str, dict[str, list[dict]]], names: dict[str, str], up: str) -> list[list[str]]:
    rows = []
    for province in sorted(provinces):
        for unit in sorted(provinces[province]):
            items = provinces[province][unit]
            code_p, code_u = items[0]["province_code"], items[0]["unit_code"]
            link = f"{up}{month}/{province}/{unit}.html"
            errors = sum(i["errors"] for i in items)
            warnings = sum(i["warnings"] for i in items)
            rows.append([f'<a href="{up}{month}/{province}/index.html">{h(_label(code_p, names))}</a>',
                         f'<a href="{link}">{h(_label(code_u, names))}</a>',
                         _badge(verdict([i["status"] for i in items])), str(len(items)),
                         f"{errors} lỗi, {warnings} cảnh báo"])
    return rows


def _missing_rows(rows: list[dict], names: dict[str, str]) -> list[list[str]]:
    """Expected units that sent nothing for the month (audit.live_coverage)."""
    return [[h(_label(r["province_code"], names)), h(_label(r["district_code"], names)), _badge(MISSING), "0", ""]
            for r in rows]


def _index_page(tree: dict, names: dict[str, str], subs: list[dict], missing: dict[str, list[dict]]) -> str:
    parts = []
    unread = sum(1 for s in subs if s["period_unread"] and s["status"] in ("rejected", "stale"))
    parts.append(f"<p>{len(subs)} tệp đã nhận; {unread} tệp bị từ chối trước khi đọc được kỳ báo cáo "
                 f"(xếp theo kỳ ghi trong tên tệp).</p>")
    for month in sorted(tree, reverse=True):
        provinces = tree[month]
        units = [items for p in provinces.values() for items in p.values()]
        passed = sum(verdict([i["status"] for i in items]) == PASS for items in units)
        title = "Kỳ không rõ" if month == UNKNOWN else f"Tháng {month[5:]}/{month[:4]}"
        absent = missing.get(month, [])
        parts.append(f'<section class="month" id="m-{h(month)}"><h2><a href="{h(month)}/index.html">{h(title)}</a>'
                     f" — {passed}/{len(units) + len(absent)} đơn vị đạt"
                     + (f", {len(absent)} chưa gửi" if absent else "") + "</h2>")
        parts.append(_table(["Tỉnh", "Huyện / đơn vị", "Kết quả", "Số tệp", "Lỗi / cảnh báo"],
                            _unit_rows(month, provinces, names, "") + _missing_rows(absent, names)))
        parts.append("</section>")
    if not tree:
        parts.append("<p>Chưa nhận tệp nào.</p>")
    return _page("Nhật ký kiểm tra dữ liệu NTM", "".join(parts), 0, [])


def _month_page(month: str, provinces: dict, names: dict[str, str], absent: list[dict]) -> str:
    rows = []
    for province in sorted(provinces):
        units = provinces[province]
        code = next(iter(units.values()))[0]["province_code"]
        passed = sum(verdict([i["status"] for i in items]) == PASS for items in units.values())
        rows.append([f'<a href="{province}/index.html">{h(_label(code, names))}</a>', f"{passed}/{len(units)}"])
    body = _table(["Tỉnh", "Đơn vị đạt"], rows) + _table(
        ["Tỉnh", "Huyện / đơn vị", "Kết quả", "Số tệp", "Lỗi / cảnh báo"],
        _unit_rows(month, provinces, names, "../") + _missing_rows(absent, names))
    return _page(f"Kỳ {month}", body, 1, [(month, None)])


def _province_page(month: str, province: str, units: dict, names: dict[str, str]) -> str:
    code = next(iter(units.values()))[0]["province_code"]
    rows = [[f'<a href="{unit}.html">{h(_label(items[0]["unit_code"], names))}</a>',
             _badge(verdict([i["status"] for i in items])), str(len(items))] for unit, items in sorted(units.items())]
    return _page(f"{_label(code, names)} — kỳ {month}", _table(["Huyện / đơn vị", "Kết quả", "Số tệp"], rows), 2,
                 [(month, f"{month}/index.html"), (_label(code, names), None)])


def _district_page(month: str, items: list[dict], names: dict[str, str]) -> str:
    first = items[0]
    rows = [[f'<a href="../../submission/{i["submission_id"]}.html">#{i["submission_id"]}</a>',
             h(i["file_name"]), h(f"v{i['version']}" if i["version"] else "?"), _status_badge(i["status"]),
             h(_local(i["received_at"])), f"{i['errors']} lỗi, {i['warnings']} cảnh báo"] for i in items]
    province = _slug(first["province_code"])
    return _page(f"{_label(first['unit_code'], names)} — kỳ {month}",
                 f"<p>Kết quả: {_badge(verdict([i['status'] for i in items]))}</p>"
                 + _table(["Tệp số", "Tên tệp", "Lần gửi", "Trạng thái", "Nhận lúc (giờ Việt Nam)", "Lỗi / cảnh báo"],
                          rows), 2,
                 [(month, f"{month}/index.html"), (_label(first["province_code"], names), f"{month}/{province}/index.html"),
                  (_label(first["unit_code"], names), None)])


def _submission_page(s: dict, runs: dict[int, list[dict]], findings: dict[int, list[dict]], names: dict[str, str],
                     settings: Settings) -> str:
    sid = s["submission_id"]
    month = _month_slug(s["month"])
    info = [("Tên tệp", h(s["file_name"])), ("Đơn vị", h(_label(s["unit_code"], names))),
            ("Kỳ báo cáo", h(month if s["month"] else "không rõ")
             + (" (theo tên tệp)" if s["period_unread"] and s["month"] else "")),
            ("Lần gửi", h(s["version"] or "?")), ("Trạng thái", _status_badge(s["status"])),
            ("Lý do", h(s["status_reason"] or "")), ("Nhận lúc (giờ Việt Nam)", h(_local(s["received_at"]))),
            ("SHA-256", f"<code>{h(s['sha256'])}</code>")]
    fb = feedback_path(settings, Submission(sid, s["file_name"], s["file_format"], s["archive_path"], s["bytes"],
                                            s["unit_code"], None, s["month"], s["version"], s["status"]))
    if fb.exists():
        info.append(("Phản hồi cho đơn vị", f'<a href="{h(fb.as_uri())}">{h(fb.name)}</a>'))
    body = "<table>" + "".join(f"<tr><th>{h(k)}</th><td>{v}</td></tr>" for k, v in info) + "</table>"
    body += "<h2>Các lần kiểm tra</h2>" + _table(
        ["Bộ quy tắc", "Kết quả", "Số quy tắc", "Quy tắc không đạt", "Trang Data Docs"],
        [[h(r["suite"]), _badge(PASS if r["success"] else FAIL), h(r["evaluated"]), h(r["failed"]),
          _doc_link(r["data_docs_url"])] for r in runs.get(sid, [])])
    fs = findings.get(sid, [])
    body += f"<h2>Kết quả chi tiết ({len(fs)})</h2>" + _table(
        ["Mức độ", "Kiểm tra", "Bộ quy tắc", "Trang", "Dòng", "Cột", "Giá trị", "Nội dung"],
        [[h(SEVERITY_VI.get(f["severity"], f["severity"])), h(f["check_name"]), h(f["suite"]), h(f["sheet"] or ""),
          h(f["excel_row"] or ""), h(f["column_name"] or ""), f"<code>{h(f['value'])}</code>" if f["value"] else "",
          h(f["message_vi"])] for f in fs])
    province = _slug(s["province_code"])
    return _page(f"Tệp số {sid}: {s['file_name']}", body, 1,
                 [(month, f"{month}/index.html"), (_label(s["province_code"], names), f"{month}/{province}/index.html"),
                  (_label(s["unit_code"], names), f"{month}/{province}/{_slug(s['unit_code'])}.html"),
                  (f"#{sid}", None)])
