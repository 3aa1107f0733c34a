"""The bulletin as one self-contained HTML page: Jinja2 templates with autoescape (every string from
a submission is escaped by the template, after `clean` took control characters out), the charts as
inline SVG from matplotlib, a print stylesheet. No script, no external resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ingest.contract import CATALOGUES, FUNDING_SOURCES, HARDSHIP
from ingest.serve.bulletin import charts
from ingest.serve.bulletin.data import BulletinData, Row
from ingest.serve.bulletin.vn import (
    clean,
    vn_change,
    vn_date,
    vn_month,
    vn_month_short,
    vn_number,
    vn_pct,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The funding sources in display order, with the labels of the contract (and of the seed).
SOURCES = [(s.code, s.name_vi) for s in FUNDING_SOURCES]
TITLE_SHORT = {"none": "Chưa đạt", "ntm": "NTM", "advanced": "NTM nâng cao", "model": "NTM kiểu mẫu"}
# The indicators of a plan (submission-format.md, sheet ke_hoach).
INDICATORS = {
    "communes_ntm": "Số xã đạt chuẩn NTM",
    "communes_advanced": "Số xã đạt chuẩn NTM nâng cao",
    "communes_model": "Số xã đạt chuẩn NTM kiểu mẫu",
    "model_villages": "Số thôn kiểu mẫu",
    "model_roads": "Số tuyến đường kiểu mẫu",
    "ocop_products": "Số sản phẩm OCOP",
    "district_ntm": "Huyện đạt chuẩn NTM",
    "register_advanced": "Đăng ký xã nâng cao",
    "register_model": "Đăng ký xã kiểu mẫu",
}
COVERAGE_STATUS = {"accepted": "Đúng hạn", "late": "Nộp muộn", "missing": "Chưa nộp", "rejected": "Bị từ chối"}


@dataclass(frozen=True)
class Headline:
    """One headline figure: its value and its changes, already in Vietnamese style."""
    key: str
    label: str
    value: str
    since_prev: str
    since_start: str


def _get(row: Row | None, key: str) -> Any:
    return None if row is None else row.get(key)


def _diff(now: Any, before: Any) -> Decimal | None:
    if now is None or before is None:
        return None
    return Decimal(str(now)) - Decimal(str(before))


def _headline(d: BulletinData) -> list[Headline]:
    h = d.head
    out: list[Headline] = []

    def add(key: str, label: str, row: Row | None, prev: Row | None, start: Row | None,
            decimals: int = 0, value: str | None = None) -> None:
        now = _get(row, key)
        out.append(Headline(key, label, value if value is not None else vn_number(now, decimals),
                          vn_change(_diff(now, _get(prev, key)), decimals),
                          vn_change(_diff(now, _get(start, key)), decimals)))

    add("communes_ntm", "Xã đạt chuẩn nông thôn mới", h, d.prev, d.start,
        value=f"{vn_number(h['communes_ntm'])}/{vn_number(h.get('communes_expected'))}")
    add("pct_communes_ntm", "Tỷ lệ xã đạt chuẩn NTM (%)", h, d.prev, d.start, decimals=1)
    add("avg_criteria_per_commune", "Bình quân tiêu chí đạt/xã", h, d.prev, d.start, decimals=2)
    add("communes_advanced", "Xã đạt chuẩn NTM nâng cao", h, d.prev, d.start)
    add("communes_model", "Xã đạt chuẩn NTM kiểu mẫu", h, d.prev, d.start)
    add("communes_19", "Xã đạt đủ 19 tiêu chí", h, d.prev, d.start)
    add("titles_at_risk", "Xã có danh hiệu nhưng chưa đủ tiêu chí", h, d.prev, d.start)
    if d.unit_level == "province" and h.get("districts_ntm") is not None:   # up to June 2025
        add("districts_ntm", "Huyện đạt chuẩn nông thôn mới", h, d.prev, d.start,
            value=f"{vn_number(h['districts_ntm'])}/{vn_number(h.get('districts_total'))}")
    if d.has_models:
        add("model_villages", "Thôn kiểu mẫu", h, d.prev, d.start)
        add("model_roads", "Tuyến đường kiểu mẫu", h, d.prev, d.start)
    if d.ocop is not None:
        add("products_rated", "Sản phẩm OCOP (3 sao trở lên, còn hiệu lực)", d.ocop, d.ocop_prev, d.ocop_start)
    if d.funding is not None:
        out.append(Headline("total_ytd_mvnd", "Vốn huy động từ đầu năm (triệu đồng)",
                          vn_number(d.funding["total_ytd_mvnd"]), vn_change(d.funding.get("total_month_mvnd")),
                          vn_number(d.funding["total_ytd_mvnd"])))
    return out


def _trend(d: BulletinData) -> dict[str, Any]:
    months = [vn_month_short(r["month"]) for r in d.trend]
    ntm = [r["communes_ntm"] for r in d.trend]
    avg = [r["avg_criteria_per_commune"] for r in d.trend]
    return {
        "rows": d.trend,
        "ntm_chart": Markup(charts.columns("trend-ntm", months, ntm, [vn_number(v) for v in ntm],
                                           ylabel="Số xã đạt chuẩn")),
        "avg_chart": Markup(charts.line("trend-avg", months, avg, [vn_number(v, 2) for v in avg],
                                        ylabel="Tiêu chí/xã", decimals=1)),
    }


def _criterion_label(r: Row) -> str:
    return f"TC{r['criterion_no']}. {r['name_vi']}" if r.get("criterion_no") else str(r["criterion_code"])


def _criteria(d: BulletinData) -> dict[str, Any] | None:
    if not d.criteria:
        return None
    rows = d.criteria
    return {
        "rows": rows,
        "communes": max(r["communes"] for r in rows),
        "chart": Markup(charts.hbar("criteria", [_criterion_label(r) for r in rows],
                                    [float(r["share_met"]) * 100 for r in rows],
                                    [vn_pct(r["share_met"]) for r in rows], xlabel="% số xã đạt tiêu chí",
                                    highlight=[i < 5 for i in range(len(rows))])),
    }


def _funding(d: BulletinData) -> dict[str, Any] | None:
    f = d.funding
    if f is None:
        return None
    rows = [{"code": code, "label": label, "ytd": f.get(f"{code}_ytd_mvnd"), "phase": f.get(f"{code}_phase_mvnd")}
            for code, label in SOURCES]
    rows = [r for r in rows if r["ytd"] or r["phase"]]
    total_phase = f.get("total_phase_mvnd")
    community_phase = (Decimal(str(f.get("nhan_dan_phase_mvnd") or 0)) / Decimal(str(total_phase))
                       if total_phase else None)
    shown = [r for r in rows if r["ytd"]]
    return {
        "row": f,
        "rows": rows,
        "community_phase": community_phase,
        "chart": Markup(charts.hbar("funding", [r["label"] for r in shown], [float(r["ytd"]) for r in shown],
                                    [vn_number(r["ytd"]) for r in shown], xlabel="triệu đồng, từ đầu năm"))
        if shown else None,
    }


def _ocop(d: BulletinData) -> dict[str, Any] | None:
    o = d.ocop
    if o is None:
        return None
    stars = [("3 sao", o.get("products_3_star")), ("4 sao", o.get("products_4_star")),
             ("5 sao", o.get("products_5_star"))]
    # Decision 148's groups, then any products still held under Decision 1048's catalogue, by its
    # own groups: the two catalogues are never added together (marts.md, "OCOP groups").
    groups = [(name, o.get(f"products_{code}")) for code, name in CATALOGUES["148"].items()]
    groups += [(f"{name} (QĐ 1048)", o.get(f"products_1048_{code}")) for code, name in CATALOGUES["1048"].items()
               if o.get(f"products_1048_{code}")]
    return {
        "row": o,
        "stars": stars,
        "groups": groups,
        "stars_chart": Markup(charts.columns("ocop-stars", [s for s, _ in stars], [v or 0 for _, v in stars],
                                             [vn_number(v) for _, v in stars], ylabel="Sản phẩm", width=4.8)),
        "groups_chart": Markup(charts.hbar("ocop-groups", [g for g, _ in groups], [v or 0 for _, v in groups],
                                           [vn_number(v) for _, v in groups], xlabel="Sản phẩm")),
    }


CHART_COMMUNES = 40  # a chart of xã shows at most this many (those with the fewest criteria)


def _children(d: BulletinData) -> dict[str, Any] | None:
    """Districts (a province up to June 2025) or xã (a district; a province from July 2025)."""
    rows = d.children
    if not rows:
        return None
    if "criteria_met" not in rows[0]:
        chart = charts.hbar("children", [r["unit_name"] or r["unit_code"] for r in rows],
                            [float(r["pct_communes_ntm"] or 0) for r in rows],
                            [f"{vn_number(r['pct_communes_ntm'], 1)}%" for r in rows], xlabel="% số xã đạt chuẩn NTM")
        return {"kind": "units", "rows": rows, "chart": Markup(chart), "caption": None}
    shown = rows if len(rows) <= CHART_COMMUNES else sorted(rows, key=lambda r: r["criteria_met"])[:CHART_COMMUNES][::-1]
    caption = (f"{CHART_COMMUNES} xã đạt ít tiêu chí nhất (trong {vn_number(len(rows))} xã)"
               if len(rows) > CHART_COMMUNES else None)
    chart = charts.hbar("children", [r["unit_name"] or r["unit_code"] for r in shown],
                        [r["criteria_met"] for r in shown], [vn_number(r["criteria_met"]) for r in shown],
                        xlabel="Số tiêu chí đạt")
    return {"kind": "communes", "rows": rows, "chart": Markup(chart), "caption": caption}


def _plan(d: BulletinData) -> dict[str, Any] | None:
    if d.plan is None:
        return None
    order = list(INDICATORS)
    rows = sorted(({**r, "label": INDICATORS.get(r["indicator"], r["indicator"])} for r in d.plan),
                  key=lambda r: (order.index(r["indicator"]) if r["indicator"] in order else len(order),
                                 r["indicator"]))
    chart = (charts.hbar("plan", [r["label"] for r in rows], [float(r["pct_of_target"] or 0) for r in rows],
                         [f"{vn_number(r['pct_of_target'], 1)}%" for r in rows], xlabel="% kế hoạch năm",
                         highlight=[r["on_track"] is False for r in rows]) if rows else None)
    # a province's plan summed from its districts' (mart_plan.units_planned districts)
    summed = d.unit_level == "province" and any((r.get("units_planned") or 0) > 1 for r in rows)
    return {"rows": rows, "chart": Markup(chart) if chart else None, "summed": summed}


def _coverage(d: BulletinData) -> dict[str, Any]:
    counts = {status: sum(1 for r in d.coverage if r["status"] == status) for status in COVERAGE_STATUS}
    return {"counts": counts, "total": len(d.coverage),
            "problems": [r for r in d.coverage if r["status"] != "accepted"]}


def _title_name(name: str, level_vi: str) -> str:
    """`tỉnh Bắc Ninh` from `Bắc Ninh`; a name that already says what it is (`Tỉnh Bắc Ninh`,
    `Thị xã Quế Võ`) stays as it is."""
    words = ("tỉnh", "thành phố", "huyện", "thị xã", "quận")
    return name if name.lower().startswith(words) else f"{level_vi} {name}"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=vn_number, change=vn_change, pct=vn_pct, vdate=vn_date, vmonth=vn_month, clean=clean)
    env.globals.update(TITLE_SHORT=TITLE_SHORT, HARDSHIP=HARDSHIP, COVERAGE_STATUS=COVERAGE_STATUS)
    return env


def render(d: BulletinData, today: date | None = None) -> str:
    """The page, as text (UTF-8 when written)."""
    level_vi = "tỉnh" if d.unit_level == "province" else "huyện"
    context = {
        "d": d,
        "level_vi": level_vi,
        "unit_name": clean(d.unit_name),
        "title_name": _title_name(clean(d.unit_name), level_vi),
        "month_label": vn_month(d.month),
        "month_end": date(d.month.year + d.month.month // 12, d.month.month % 12 + 1, 1) - timedelta(days=1),
        "today": today or date.today(),
        "headline": _headline(d),
        "prev_label": vn_month(d.prev["month"]) if d.prev else None,
        "start_label": vn_month(d.start["month"]) if d.start else None,
        "plan": _plan(d),
        "trend": _trend(d),
        "criteria": _criteria(d),
        "children": _children(d),
        "funding": _funding(d),
        "ocop": _ocop(d),
        "coverage": _coverage(d),
        "css": Markup((TEMPLATES / "bulletin.css").read_text(encoding="utf-8")),
    }
    return environment().get_template("bulletin.html.j2").render(context)
