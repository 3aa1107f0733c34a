"""`ntm report`: the monthly progress bulletin of a province or district, as one self-contained
HTML file (inline SVG charts, no scripts, no network), figures in Vietnamese style."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingest.contract import FUNDING_SOURCES

# The funding sources in display order, with the labels of the contract (and of the seed).
SOURCES = [(s.code, s.name_vi) for s in FUNDING_SOURCES]


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """892738 → `892.738`; 8.654 → `8,65` (decimals=2): thousands with `.`, decimals with `,`."""
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


class ReportError(LookupError):
    """Nothing to report for that unit and month; the message says what to do."""


def _fetch(url: str, month: date, unit: str) -> dict[str, Any]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        head = conn.execute(
            """SELECT p.*, u.unit_name FROM marts.mart_progress p
               LEFT JOIN marts.dim_admin_unit u ON u.unit_code = p.unit_code AND u.unit_level = p.unit_level
                    AND p.month BETWEEN u.valid_from AND coalesce(u.valid_to, 'infinity')
               WHERE p.month = %s AND p.unit_code = %s AND p.unit_level IN ('province', 'district')""",
            (month, unit)).fetchone()
        if head is None:
            raise ReportError(f"no figures for unit {unit} in {month:%Y-%m}: check the code and that the month "
                              "was loaded (`ntm status --month`), then `ntm transform`")
        children = conn.execute(
            """SELECT p.unit_code, u.unit_name, p.communes_total, p.communes_ntm, p.pct_communes_ntm,
                      p.avg_criteria_per_commune
               FROM marts.mart_progress p
               JOIN marts.dim_admin_unit u ON u.unit_code = p.unit_code AND u.unit_level = p.unit_level
                    AND p.month BETWEEN u.valid_from AND coalesce(u.valid_to, 'infinity')
               WHERE p.month = %s AND u.parent_code = %s AND p.unit_level IN ('district', 'commune')
               ORDER BY p.pct_communes_ntm DESC, p.unit_code""",
            (month, unit)).fetchall()
        funding = conn.execute("SELECT * FROM marts.mart_funding WHERE month = %s AND unit_code = %s",
                               (month, unit)).fetchone()
        ocop = conn.execute("SELECT * FROM marts.mart_ocop WHERE month = %s AND unit_code = %s",
                            (month, unit)).fetchone()
    return {"head": head, "children": children, "funding": funding, "ocop": ocop}


def _bars(rows: list[tuple[str, float, str]], width: int = 640, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: (label, value, shown text)."""
    top = max((v for _, v, _ in rows), default=0) or 1
    h = 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h * len(rows) + 4}" role="img">']
    for i, (label, value, shown) in enumerate(rows):
        w = int((width - 260) * value / top)
        y = i * h + 2
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{html.escape(label)}</text>'
                     f'<rect x="180" y="{y + 3}" width="{w}" height="15" fill="#2e7d32"/>'
                     f'<text x="{186 + w}" y="{y + 15}" font-size="12">{html.escape(shown)}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render(data: dict[str, Any], month: date) -> str:
    h, fund, ocop = data["head"], data["funding"], data["ocop"]
    name = html.escape(h.get("unit_name") or h["unit_code"])
    # Only xã take part (domain.md, "Who takes part"): the denominator is the xã in force
    # (communes_expected), else the xã with figures for the month.
    expected = h.get("communes_expected") if h.get("communes_expected") is not None else h["communes_total"]
    known = []
    if h.get("communes_expected") is not None and h["communes_total"] != h["communes_expected"]:
        known.append(f"có số liệu tháng này: {vn_number(h['communes_total'])}/{vn_number(expected)} xã")
    if h.get("communes_carried_forward"):
        known.append(f"trong đó {vn_number(h['communes_carried_forward'])} xã theo báo cáo gần nhất của huyện "
                     "chưa báo cáo tháng này")
    out = [f"<!doctype html><html lang='vi'><meta charset='utf-8'><title>Bản tin NTM {name} {month:%m/%Y}</title>",
           "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
           "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child{text-align:left}"
           ".big{font-size:1.4em;font-weight:bold}</style>",
           f"<h1>Bản tin xây dựng nông thôn mới — {name}</h1><p>Tháng {month.month}/{month.year}</p>",
           "<h2>Xã đạt chuẩn nông thôn mới</h2>",
           f"<p class='big'>{vn_number(h['communes_ntm'])}/{vn_number(expected)} xã đạt chuẩn NTM "
           f"({vn_number(h['pct_communes_ntm'], 1)}%); bình quân {vn_number(h['avg_criteria_per_commune'], 2)} "
           "tiêu chí/xã</p>",
           f"<p>Xã đạt chuẩn NTM nâng cao: {vn_number(h['communes_advanced'])} xã; NTM kiểu mẫu: "
           f"{vn_number(h['communes_model'])} xã; xã có danh hiệu nhưng chưa đủ 19 tiêu chí: "
           f"{vn_number(h['titles_at_risk'])} xã</p>"]
    if known:
        out.append(f"<p>Số xã {'; '.join(known)}.</p>")
    if data["children"]:
        out.append("<h3>Tỷ lệ xã đạt chuẩn NTM theo đơn vị (% số xã)</h3>")
        out.append(_bars([(c["unit_name"] or c["unit_code"], float(c["pct_communes_ntm"] or 0),
                           vn_number(c["pct_communes_ntm"], 1)) for c in data["children"]], unit="%"))
    if fund:
        out.append(f"<h2>Huy động nguồn lực</h2><p class='big'>Tổng: {vn_number(fund['total_ytd_mvnd'])} triệu đồng "
                   "(lũy kế từ đầu năm)</p>")
        rows = [(label, float(fund.get(f"{code}_ytd_mvnd") or 0), vn_number(fund.get(f"{code}_ytd_mvnd")))
                for code, label in SOURCES if fund.get(f"{code}_ytd_mvnd")]
        out.append(_bars(rows, unit=" tr.đ"))
    if ocop:
        out.append(f"<h2>Sản phẩm OCOP</h2><p class='big'>{vn_number(ocop['products_rated'])} sản phẩm đạt 3 sao trở lên"
                   f"</p><p>3 sao: {vn_number(ocop['products_3_star'])}; 4 sao: {vn_number(ocop['products_4_star'])}; "
                   f"5 sao: {vn_number(ocop['products_5_star'])}; đang hoàn thiện hồ sơ: "
                   f"{vn_number(ocop['products_preparing'])}; sắp hết hạn (6 tháng): "
                   f"{vn_number(ocop['expiring_within_6_months'])}</p>")
    out.append("<p><small>Nguồn: kho dữ liệu NTM (marts), số liệu của phiên bản báo cáo mới nhất được chấp nhận. "
               "Chỉ tính các xã (không tính phường, thị trấn).</small></p></html>")
    return "\n".join(out)


def write_report(url: str, month: date, unit: str, output: Path) -> Path:
    output.write_text(render(_fetch(url, month, unit), month), encoding="utf-8")
    return output
