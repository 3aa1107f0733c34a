"""Realistic synthetic district submissions, from the real administrative lists.

Every figure is a closed-form function of (seed, unit, month), so any month can be generated
alone and months agree with each other:

- criteria: each commune has a month `T` at which it meets the last of the 19 criteria; each
  criterion is met from its own month on (before `T`), and a few slip for some months (before
  the title, or after it: a titled commune "at risk"). NTM title a few months after `T`;
  advanced (NTM nâng cao) and model (NTM kiểu mẫu) only after NTM.
- funding: per unit and year an annual amount split over the sources (community contributions
  the largest share) and capital types; the cumulative figure at month k is the annual amount
  times a share of 12 positive monthly weights, so it never decreases within a year and starts
  again in January. A `tong` row per unit carries the sum.
- OCOP: products of the legacy districts, with a dossier month, a rating 3–10 months later,
  re-ratings every 36 months or expiry (valid_until = decision_date + 36 months). After the
  2025 reform the same products are reported by the new province, under the successor commune.
- ho_tro: support for hardship communes in some months.

Only xã take part in NTM (domain.md, "Who takes part"): every row names a xã (criteria, funding,
OCOP, support), and a district without xã (an urban district, all wards) sends nothing.
From July 2025 (the 2025 list, no districts) the province submits for its communes.
`messy=True` renders the same content as hand-made files look (submission-format.md).
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import random
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from ingest.devtools.template import (
    CAPITAL_TYPES,
    CRITERIA,
    ENTITY_TYPES,
    GROUPS_148,
    GROUPS_1048,
    HARDSHIP,
    HO_TRO,
    NGUON_VON,
    OCOP,
    SOURCES,
    STATUSES,
    THONG_TIN,
    THONG_TIN_HEADER,
    TIEU_CHI_HUYEN,
    TIEU_CHI_XA,
    TITLES,
    is_risky,
    neutralise,
    workbook_bytes,
)
from ingest.intake.admin_units import LIST_2025, AdminUnits, Unit, fold
from ingest.intake.admin_units import package_units as load_admin_units
from ingest.intake.rules import CATALOGUE_148_FROM, criteria_set_in_force, rural_communes

EPOCH = date(2011, 1, 1)
NEVER = 10**6

# ---------------------------------------------------------------------------------------------
# helpers


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator for one (seed, purpose, unit, ...) key: str seeds are hashed stably."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    index = month_index(d) + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _day_in(index: int, r: random.Random) -> date:
    start = month_start(index)
    return start + timedelta(days=r.randint(0, month_end(start).day - 1))


def _short(name: str) -> str:
    for prefix in ("Thị trấn ", "Phường ", "Xã ", "Đặc khu ", "Huyện ", "Quận ", "Thị xã ",
                   "Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# ---------------------------------------------------------------------------------------------
# content: canonical values (codes, bools, dates, floats), the same for clean and messy output


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Submission:
    province_code: str
    unit: Unit
    period: date
    tables: dict[str, Table]
    version: int = 1

    @property
    def name(self) -> str:
        return f"{self.period:%Y-%m}_{self.unit.code}_v{self.version}"


@dataclass(frozen=True)
class _Trajectory:
    achieved: tuple[int, ...]          # month index from which each criterion is met
    slips: tuple[tuple[int, int, int], ...]  # (criterion, from, to): not met in [from, to)
    ntm_from: int
    advanced_from: int
    model_from: int
    hardship: str | None

    def met(self, m: int) -> list[bool]:
        marks = [m >= a for a in self.achieved]
        for i, start, stop in self.slips:
            if start <= m < stop:
                marks[i] = False
        return marks

    def title(self, m: int) -> tuple[str | None, int | None]:
        for code, since in (("model", self.model_from), ("advanced", self.advanced_from),
                            ("ntm", self.ntm_from)):
            if m >= since:
                return code, since
        return None, None


@lru_cache(maxsize=50_000)
def _trajectory(seed: int, list_name: str, code: str) -> _Trajectory:
    r = _rng(seed, "commune", list_name, code)
    roll = r.random()
    hardship = "dbkk" if roll < 0.05 else "kk" if roll < 0.17 else None
    start = month_index(EPOCH) + 6
    if r.random() < 0.06:
        last = NEVER
    else:
        last = start + int(r.betavariate(1.3, 1.2) * (month_index(date(2028, 12, 1)) - start))
        last += {"dbkk": 36, "kk": 12, None: 0}[hardship]
    achieved = []
    final = r.randrange(19)
    base = min(last, month_index(date(2031, 1, 1)))
    for i in range(19):
        if i == final:
            achieved.append(last)
        elif r.random() < 0.25:
            achieved.append(start - 1)  # met since before the first report
        else:
            achieved.append(max(start - 1, base - 1 - int(r.expovariate(1 / 30))))
    slips = []
    if r.random() < 0.25:
        i = r.choice([k for k in range(19) if k != final])
        begin = achieved[i] + r.randint(2, 12)
        slips.append((i, begin, min(begin + r.randint(1, 6), last)))
    ntm_from = last + r.randint(1, 4) if last < NEVER else NEVER
    if ntm_from < NEVER and r.random() < 0.25:
        i = r.choice([16, 5, 15, 10, 9])  # environment, cultural facilities, culture, poverty, income
        begin = ntm_from + r.randint(3, 48)
        slips.append((i, begin, begin + r.randint(2, 9)))
    advanced_from = model_from = NEVER
    if ntm_from < NEVER and r.random() < 0.35:
        advanced_from = ntm_from + r.randint(24, 60)
        if r.random() < 0.3:
            model_from = advanced_from + r.randint(12, 36)
    return _Trajectory(tuple(achieved), tuple(slips), ntm_from, advanced_from, model_from, hardship)


def _decision(seed: int, code: str, title: str, since: int) -> tuple[str, date]:
    r = _rng(seed, "decision", code, title, since)
    return f"{r.randint(100, 4999)}/QĐ-UBND", _day_in(since, r)


def _communes_table(seed: int, admin: AdminUnits, communes: list[Unit], period: date) -> Table:
    list_name = admin.list_for(period)
    m = month_index(period)
    table = Table(list(TIEU_CHI_XA))
    for u in communes:
        t = _trajectory(seed, list_name, u.code)
        marks = t.met(m)
        title, since = t.title(m)
        decision, decided = _decision(seed, u.code, title, since) if title else (None, None)
        row: dict[str, Any] = {"commune_code": u.code, "commune_name": u.name}
        row.update(zip(CRITERIA, marks, strict=True))
        row.update(criteria_met=sum(marks), ntm_title=title, title_decision=decision, title_date=decided,
                   hardship=t.hardship)
        table.rows.append(row)
    return table


def _district_table(seed: int, admin: AdminUnits, district: Unit, period: date) -> Table:
    """The 9 district criteria: met from their own months; the district title once all its
    communes are NTM (plus the time for the Prime Minister's decision)."""
    r = _rng(seed, "district", district.code)
    communes = rural_communes(admin, district.code, period)
    last_commune = max((_trajectory(seed, admin.list_for(period), c.code).ntm_from for c in communes),
                       default=NEVER)
    titled = last_commune + r.randint(6, 18) if last_commune < NEVER else NEVER
    m = month_index(period)
    table = Table(list(TIEU_CHI_HUYEN))
    decision = decided = None
    if m >= titled:
        decision, decided = f"{r.randint(100, 1999)}/QĐ-TTg", _day_in(titled, r)
    for criterion in range(1, 10):
        met_from = min(titled, month_index(EPOCH) + r.randint(0, 150))
        table.rows.append({"criterion": criterion, "met": m >= met_from,
                           "district_title": "ntm" if m >= titled else None,
                           "title_decision": decision, "title_date": decided})
    return table


_STATE_SOURCES = ("ns_tw", "ns_tinh", "ns_huyen", "ns_xa", "long_ghep")
_OTHER_SOURCES = ("tin_dung", "doanh_nghiep", "khac")


def _funding_rows(seed: int, unit_code: str, is_commune: bool, period: date, combined_budget: bool,
                  reformed: bool) -> list[dict[str, Any]]:
    r = _rng(seed, "funding", unit_code, period.year)
    median = 9000.0 if is_commune else 35000.0
    annual = median * math.exp(r.gauss(0, 0.55))
    if is_commune:
        sources = ["ns_tw", "ns_tinh", "ns_huyen", "ns_xa", "long_ghep"] + [
            s for s in _OTHER_SOURCES if r.random() < 0.6]
        people = r.uniform(0.42, 0.68)
    else:
        sources = ["ns_tw", "ns_tinh", "ns_huyen", "long_ghep"] + (["tin_dung"] if r.random() < 0.5 else [])
        people = 0.0
    if reformed:
        sources = [s for s in sources if s != "ns_huyen"]
    elif combined_budget and is_commune:
        sources = [s for s in sources if s not in ("ns_huyen", "ns_xa")] + ["ns_huyen_xa"]
    weights = {s: r.uniform(0.3, 1.5) for s in sources}
    total_w = sum(weights.values())
    shares = {s: (1 - people) * w / total_w for s, w in weights.items()}
    if people:
        shares["nhan_dan"] = people
    monthly = [r.uniform(0.3, 1.7) for _ in range(12)]
    fraction = sum(monthly[: period.month]) / sum(monthly)
    estimated = r.random() < 0.5  # this unit's figures are "ước" estimates this year
    rows: list[dict[str, Any]] = []
    for source, share in shares.items():
        amount = annual * share * fraction
        if source in _STATE_SOURCES or source == "ns_huyen_xa":
            split = _rng(seed, "split", unit_code, source, period.year).uniform(0.55, 0.9)
            parts = [("dtpt", amount * split), ("sn", amount * (1 - split))]
        else:
            parts = [(None, amount)]
        for capital_type, value in parts:
            rows.append({"unit_code": unit_code, "source": source, "capital_type": capital_type,
                         "amount_mvnd": round(value, 1),
                         "is_estimate": estimated and source in ("nhan_dan", "doanh_nghiep")})
    rows.append({"unit_code": unit_code, "source": "tong", "capital_type": None,
                 "amount_mvnd": round(sum(x["amount_mvnd"] for x in rows), 1), "is_estimate": False})
    return rows


def _funding_table(seed: int, submitter: Unit, communes: list[Unit], period: date, reformed: bool) -> Table:
    combined = _rng(seed, "combined", submitter.code).random() < 0.15
    table = Table(list(NGUON_VON))
    table.rows += _funding_rows(seed, submitter.code, False, period, combined, reformed)
    for u in communes:
        table.rows += _funding_rows(seed, u.code, True, period, combined, reformed)
    return table


_PRODUCTS = {
    "g1": ["Mật ong", "Gạo nếp cái hoa vàng", "Nem chua", "Bánh đa nem", "Nước mắm", "Miến dong",
           "Giò chả", "Cam đường", "Bưởi", "Chuối sấy", "Trứng vịt muối", "Tương", "Mắm tôm", "Lạc rang"],
    "g2": ["Chè búp", "Rượu nếp", "Trà hoa vàng", "Nước cốt gừng", "Cà phê rang xay"],
    "g3": ["Cao actiso", "Tinh dầu sả", "Trà giảo cổ lam", "Cao dây thìa canh"],
    "g4": ["Mây tre đan", "Chiếu cói", "Gốm", "Thổ cẩm", "Nón lá"],
    "g5": ["Cây cảnh bonsai", "Lan rừng", "Cá cảnh"],
    "g6": ["Du lịch sinh thái", "Du lịch cộng đồng làng nghề"],
}
_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hữu", "Ngọc", "Quang"]
_GIVEN = ["An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hằng", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương",
          "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"]
_AGENCIES = ["Sở Nông nghiệp và Môi trường", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Xây dựng",
             "Bộ Chỉ huy Quân sự tỉnh", "Ngân hàng Chính sách xã hội tỉnh", "Sở Tài chính",
             "Sở Văn hóa, Thể thao và Du lịch"]
_SUPPORT = ["Hỗ trợ giống cây trồng", "Hỗ trợ con giống", "Sửa chữa nhà văn hóa thôn",
            "Tặng quà hộ nghèo", "Hỗ trợ xây nhà đại đoàn kết", "Tập huấn kỹ thuật sản xuất",
            "Hỗ trợ thiết bị trường học", "Khám bệnh, cấp thuốc miễn phí"]


def _person(r: random.Random) -> str:
    return f"{r.choice(_SURNAMES)} {r.choice(_MIDDLE)} {r.choice(_GIVEN)}"


@dataclass(frozen=True)
class _Product:
    key: str
    code: str | None
    name: str
    commune_code: str  # legacy commune
    entity_name: str
    entity_type: str
    group: str
    dossier_from: int
    ratings: tuple[tuple[date, int, str], ...]  # (decision date, stars, decision no)


def _products_of(seed: int, admin: AdminUnits, district: Unit) -> list[_Product]:
    communes = rural_communes(admin, district.code, date(2025, 6, 30))
    if not communes:
        return []
    r = _rng(seed, "ocop", district.code)
    products = []
    for k in range(r.randint(2, 22)):
        p = _rng(seed, "product", district.code, k)
        commune = p.choice(communes)
        place = _short(commune.name)
        group = p.choices(list(_PRODUCTS), weights=[60, 12, 10, 10, 4, 4])[0]
        entity_type = p.choices(["htx", "dn", "tht", "ho"], weights=[40, 25, 10, 25])[0]
        entity = {"htx": f"HTX Nông nghiệp {place}", "dn": f"Công ty TNHH {place} {p.randint(1, 9)}",
                  "tht": f"Tổ hợp tác {place}", "ho": f"Hộ kinh doanh {_person(p)}"}[entity_type]
        dossier = month_index(date(2019, 1, 1)) + p.randint(0, 100)
        rated = dossier + p.randint(3, 10)
        stars = p.choices([3, 4, 5], weights=[70, 27, 3])[0]
        ratings = []
        at = _day_in(rated, p)
        for _ in range(3):
            ratings.append((at, stars, f"{p.randint(100, 4999)}/QĐ-UBND"))
            if p.random() > 0.7:
                break  # not re-rated: it expires
            at = add_months(at, 36) - timedelta(days=p.randint(5, 60))
            stars = min(5, stars + (1 if p.random() < 0.2 else 0))
        code = f"OCOP-{district.province_code}-{district.code}-{k:02d}" if p.random() < 0.6 else None
        products.append(_Product(f"{district.code}-{k}", code, f"{p.choice(_PRODUCTS[group])} {place}",
                                 commune.code, entity, entity_type, group, dossier, tuple(ratings)))
    return products


def _ocop_rows(product: _Product, period: date, commune_code: str) -> dict[str, Any] | None:
    m = month_index(period)
    if m < product.dossier_from:
        return None
    end = month_end(period)
    held = [x for x in product.ratings if x[0] <= end]
    row: dict[str, Any] = {"product_code": product.code, "product_name": product.name,
                           "commune_code": commune_code, "entity_name": product.entity_name,
                           "entity_type": product.entity_type, "product_group": product.group,
                           "stars": None, "status": "preparing", "decision_no": None,
                           "decision_date": None, "valid_until": None}
    if not held:
        return row
    decided, stars, number = held[-1]
    valid_until = add_months(decided, 36)
    if valid_until < end and add_months(valid_until, 12) < end:
        return None  # lapsed more than a year ago: no longer reported
    status = "expired" if valid_until < end else ("re_rated" if len(held) > 1 else "rated")
    row.update(stars=stars, status=status, decision_no=number, decision_date=decided, valid_until=valid_until)
    return row


def _ocop_table(seed: int, admin: AdminUnits, submitter: Unit, period: date) -> Table:
    table = Table(list(OCOP))
    if admin.list_for(period) == LIST_2025:
        legacy_day = date(2025, 6, 30)
        districts = [d for p in admin.provinces(legacy_day) if admin.successor(p.code) == submitter.code
                     for d in admin.districts_of(p.code, legacy_day)]
        rural = {u.code for u in rural_communes(admin, submitter.code, period)}
        def place(code: str) -> str | None:  # a product whose xã became part of a ward is not reported
            successor = admin.successor(code)
            return successor if successor in rural else None
    else:
        districts = [submitter]
        def place(code: str) -> str | None:
            return code
    for district in districts:
        for product in _products_of(seed, admin, district):
            commune = place(product.commune_code)
            row = _ocop_rows(product, period, commune) if commune else None
            if row:
                table.rows.append(row)
    return table


def _support_table(seed: int, admin: AdminUnits, communes: list[Unit], period: date) -> Table:
    table = Table(list(HO_TRO))
    list_name = admin.list_for(period)
    for u in communes:
        if _trajectory(seed, list_name, u.code).hardship is None:
            continue
        r = _rng(seed, "support", u.code, period.isoformat())
        if r.random() < 0.35:
            for _ in range(r.randint(1, 2)):
                table.rows.append({"commune_code": u.code, "supporting_agency": r.choice(_AGENCIES),
                                   "description": r.choice(_SUPPORT),
                                   "value_mvnd": round(50 * math.exp(r.gauss(0, 0.8)), 1)})
    return table


def build_submission(admin: AdminUnits, submitter: Unit, period: date, seed: int = 0,
                     version: int = 1) -> Submission:
    """The content of one submission: `submitter` is a legacy district (before July 2025) or a
    2025 province (from July 2025). `version` only changes the declared version (and the file
    name): the content depends on (seed, unit, period) alone."""
    period = period.replace(day=1)
    reformed = admin.list_for(period) == LIST_2025
    communes = rural_communes(admin, submitter.code, period)  # only xã take part in NTM
    r = _rng(seed, "thong_tin", submitter.code, period.isoformat())
    info = Table(["key", "value"], [
        {"key": "province_code", "value": submitter.province_code},
        {"key": "submitting_unit_code", "value": submitter.code},
        {"key": "period", "value": period},
        {"key": "version", "value": version},
        {"key": "submitted_on", "value": month_end(period) + timedelta(days=r.randint(1, 9))},
        {"key": "prepared_by", "value": _person(r)},
        {"key": "criteria_set", "value": criteria_set_in_force(period)},
    ])
    tables = {"thong_tin": info, "tieu_chi_xa": _communes_table(seed, admin, communes, period)}
    if period.month == 12 and not reformed:
        tables["tieu_chi_huyen"] = _district_table(seed, admin, submitter, period)
    tables["nguon_von"] = _funding_table(seed, submitter, communes, period, reformed)
    ocop = _ocop_table(seed, admin, submitter, period)
    if ocop.rows:
        tables["ocop"] = ocop
    support = _support_table(seed, admin, communes, period)
    if support.rows:
        tables["ho_tro"] = support
    return Submission(submitter.province_code, submitter, period, tables, version)


def submitting_units(admin: AdminUnits, province: str, period: date) -> list[Unit]:
    """Who submits for `province` in `period`: its districts (legacy) or itself (2025). A legacy
    province code given for a 2025 period means the 2025 province that absorbed it."""
    if province == "all":
        provinces = admin.provinces(period)
    else:
        found = admin.unit(province, period)
        if found is None and admin.list_for(period) == LIST_2025:
            # a legacy province code: after the reform its successor submits
            legacy = admin.unit(province, date(2025, 6, 30))
            successor = admin.successor(province) if legacy and legacy.level == "province" else None
            found = admin.unit(successor, period) if successor else None
        provinces = [found]
    if any(p is None or p.level != "province" for p in provinces):
        raise ValueError(f"no province {province!r} in the {admin.list_for(period)} list of {period:%Y-%m}")
    if admin.list_for(period) == LIST_2025:
        return [p for p in provinces if rural_communes(admin, p.code, period)]
    # Only units with xã take part: urban districts (all wards) and island districts without
    # communes (e.g. Hoàng Sa, Bạch Long Vĩ) have nothing to report.
    return [d for p in provinces for d in admin.districts_of(p.code, period) if rural_communes(admin, d.code, period)]


# ---------------------------------------------------------------------------------------------
# rendering: canonical content -> cell values


_MARKS_MET = ["Đ", "Đạt", "x", "X", "1", 1, "✓"]
_MARKS_NOT_MET = ["CĐ", "Chưa đạt", "0", 0, "-", None]
_EXCEL_EPOCH = date(1899, 12, 30)


def vn_number(value: float) -> str:
    """Vietnamese style: `.` between thousands, `,` before decimals (892738 -> "892.738")."""
    whole, _, decimals = f"{value:,.1f}".partition(".")
    text = whole.replace(",", ".")
    return text if decimals == "0" else f"{text},{decimals}"


class _Clean:
    """The machine form: keys as headers, codes, real numbers and dates."""

    messy = False

    def header(self, sheet: str, key: str) -> str:
        return key

    def value(self, sheet: str, key: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            if key == "is_estimate":
                return "x" if value else None
            return "Đ" if value else "CĐ"
        if key in ("ntm_title", "district_title"):
            return TITLES[value]
        if key == "period" and isinstance(value, date):
            return f"{value:%Y-%m}"
        return value


class _Messy(_Clean):
    """Hand-made looks; every choice is drawn from the file's own generator."""

    messy = True

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.header_style = {}

    def _text(self, text: str) -> str:
        r = self.r
        if r.random() < 0.4:
            text = unicodedata.normalize("NFD", text)
        if r.random() < 0.15:
            text = r.choice([" ", "  "]) + text
        if r.random() < 0.15:
            text = text + r.choice([" ", "  "])
        if r.random() < 0.1 and " " in text.strip():
            head, _, tail = text.partition(" ")
            text = f"{head}  {tail}"
        return text

    def header(self, sheet: str, key: str) -> str:
        style = self.header_style.setdefault(sheet, self.r.choice(["vi", "vi", "nfd", "ascii"]))
        label = _LABELS[sheet].get(key, key)
        if style == "nfd":
            return unicodedata.normalize("NFD", label)
        if style == "ascii":
            return fold(label).capitalize() if label[:1].isupper() else fold(label)
        return label

    def _date(self, value: date) -> Any:
        kind = self.r.random()
        if kind < 0.45:
            return f"{value.day}/{value.month}/{value.year}"
        if kind < 0.7:
            return (value - _EXCEL_EPOCH).days
        return value

    def value(self, sheet: str, key: str, value: Any) -> Any:
        r = self.r
        if sheet == "thong_tin" and key == "period":
            return f"{value:%m/%Y}"
        if value is None:
            return None
        if isinstance(value, bool):
            if key == "is_estimate":
                return r.choice(["x", "X", "1", 1]) if value else None
            return r.choice(_MARKS_MET) if value else r.choice(_MARKS_NOT_MET)
        if isinstance(value, date):
            return self._date(value)
        if key in ("amount_mvnd", "value_mvnd"):
            return vn_number(value) if r.random() < 0.75 else value
        if key in ("criteria_met", "stars", "criterion", "version"):
            return str(value) if r.random() < 0.4 else value
        if key == "source":
            return self._text(SOURCES[value]) if r.random() < 0.8 else value
        if key == "product_group":
            return value  # replaced by the catalogue name in _ocop_group (needs the decision date)
        if key in ("ntm_title", "district_title"):
            return self._text(TITLES[value])
        if key in ("commune_name", "entity_name", "product_name", "prepared_by", "description",
                   "supporting_agency"):
            return self._text(value)
        if key == "status":
            return self._text(STATUSES[value]) if r.random() < 0.5 else value
        if key == "entity_type":
            return self._text(ENTITY_TYPES[value]) if r.random() < 0.4 else value
        if key == "capital_type":
            return r.choice([CAPITAL_TYPES[value], value.upper(), value, value])
        if key == "hardship":
            return r.choice([HARDSHIP[value], f"Xã {HARDSHIP[value].lower()}", value.upper(), value])
        if key in ("commune_code", "unit_code", "province_code", "submitting_unit_code"):
            roll = r.random()
            if roll < 0.3 and not value.startswith("0"):
                return int(value)  # typed as a number: harmless without a leading zero
            if roll < 0.4:
                return f" {value} "
        return value


_LABELS: dict[str, dict[str, str]] = {
    "thong_tin": THONG_TIN_HEADER, "tieu_chi_xa": TIEU_CHI_XA, "tieu_chi_huyen": TIEU_CHI_HUYEN,
    "nguon_von": NGUON_VON, "ocop": OCOP, "ho_tro": HO_TRO,
}


def _grid(sub: Submission, render: _Clean) -> dict[str, tuple[list[list[Any]], int]]:
    """Each sheet as rows of cell values, with the number of title rows above the header."""
    out: dict[str, tuple[list[list[Any]], int]] = {}
    for sheet, table in sub.tables.items():
        rows: list[list[Any]] = []
        if render.messy:
            unit = sub.unit
            parent = "UBND TỈNH" if unit.level == "province" else "UBND HUYỆN"
            if unit.level == "district" and unit.unit_type != "Huyện":
                parent = f"UBND {unit.unit_type.upper()}"
            rows.append([f"{parent} {_short(unit.name).upper()}"])
            rows.append([f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH NTM THÁNG {sub.period.month}"
                         f" NĂM {sub.period.year}"])
            if render.r.random() < 0.5:
                rows.append([f"(Kèm theo Báo cáo số {render.r.randint(10, 400)}/BC-UBND)"])
            rows.append([])
        titles = len(rows)
        if sheet == "thong_tin":
            rows.append([render.header(sheet, "key"), render.header(sheet, "value")])
            for row in table.rows:
                label = THONG_TIN[row["key"]] if render.messy else row["key"]
                rows.append([render._text(label) if render.messy else label,
                             render.value(sheet, row["key"], row["value"])])
        else:
            rows.append([render.header(sheet, key) for key in table.columns])
            for i, row in enumerate(table.rows):
                cells = [render.value(sheet, key, row[key]) for key in table.columns]
                if sheet == "ocop" and render.messy:
                    decided = row["decision_date"]
                    catalogue = GROUPS_148 if decided is None or decided >= CATALOGUE_148_FROM else GROUPS_1048
                    cells[table.columns.index("product_group")] = render._text(catalogue[row["product_group"]])
                if render.messy and i == len(table.rows) // 2 and render.r.random() < 0.3:
                    rows.append([])  # a stray blank row
                rows.append(cells)
            if sheet == "tieu_chi_xa" and render.messy:
                total: list[Any] = [None, "Tổng cộng"]
                total += [sum(1 for row in table.rows if row[k]) for k in CRITERIA]
                total += [sum(row["criteria_met"] for row in table.rows), None, None, None, None]
                rows.append(total)
        out[sheet] = (rows, titles)
    return out


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (_XML_HEAD + f'<styleSheet xmlns="{_NS}">'
           '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')
_CORE = (_XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
         'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
         'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>NTM data platform'
         '</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:created>'
         '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:modified>'
         '</cp:coreProperties>')
_COLUMN_LETTERS = [get_column_letter(i) for i in range(1, 100)]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell_xml(ref: str, value: Any) -> str:
    if isinstance(value, str):
        style = ' s="2"' if is_risky(value) else ""  # quote prefix: formula-like text stays text
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    return f'<c r="{ref}"><v>{value!r}</v></c>'


def _sheet_xml(rows: list[list[Any]], merges: list[str]) -> str:
    parts = [_XML_HEAD, f'<worksheet xmlns="{_NS}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell_xml(f"{_COLUMN_LETTERS[c]}{r}", v) for c, v in enumerate(row)
                        if v is not None)
        if cells:
            parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData>")
    if merges:
        parts.append(f'<mergeCells count="{len(merges)}">')
        parts += [f'<mergeCell ref="{m}"/>' for m in merges]
        parts.append("</mergeCells>")
    parts.append("</worksheet>")
    return "".join(parts)


def _xlsx(grid: dict[str, tuple[list[list[Any]], int]]) -> bytes:
    """A minimal SpreadsheetML package written directly (inline strings, one date style, one
    quote-prefix style): ~10x faster than openpyxl's cell-by-cell writer, and byte-stable."""
    names = list(grid)
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
    files = {
        "[Content_Types].xml": _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
                  'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(names) + 1))
        + "</Types>",
        "_rels/.rels": _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        'metadata/core-properties" Target="docProps/core.xml"/></Relationships>',
        "docProps/core.xml": _CORE,
        "xl/workbook.xml": _XML_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheets>{sheets}'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in range(1, len(names) + 1))
        + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": _STYLES,
    }
    for i, name in enumerate(names, start=1):
        rows, titles = grid[name]
        width = max(2, max(len(r) for r in rows))
        merges = [f"A{r}:{_COLUMN_LETTERS[width - 1]}{r}" for r in range(1, titles)]
        files[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(rows, merges)
    return _zip(files)


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buffer.getvalue()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def render(sub: Submission, out_dir: Path, seed: int = 0, messy: bool = False, fmt: str = "xlsx",
           admin: AdminUnits | None = None) -> Path:
    """Write one submission as `<out_dir>/<YYYY-MM>/<YYYY-MM>_<unit>_v<version>.<ext>`."""
    admin = admin or load_admin_units()
    renderer = _Messy(_rng(seed, "messy", sub.unit.code, sub.period.isoformat())) if messy else _Clean()
    grid = _grid(sub, renderer)
    folder = Path(out_dir) / f"{sub.period:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = folder / f"{sub.name}.xlsx"
        path.write_bytes(_xlsx(grid))
    elif fmt == "zip":
        path = folder / f"{sub.name}.zip"
        path.write_bytes(_zip({f"{s}.csv": _csv_text(rows) for s, (rows, _) in grid.items()}))
    elif fmt == "csv":
        path = folder / sub.name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        for sheet, (rows, _) in grid.items():
            (path / f"{sheet}.csv").write_text(_csv_text(rows), encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r}: xlsx, zip or csv")
    return path


def generate(province: str, months: list[date], out_dir: Path, seed: int = 0, messy: bool = False,
             fmt: str = "xlsx", *, version: int = 1) -> list[Path]:
    """One submission per submitting unit and month of `province` (`"all"`: every province),
    written as `out_dir/<YYYY-MM>/<YYYY-MM>_<unit>_v<version>.<ext>`; returns the paths in
    (month, unit) order. Same seed, same bytes."""
    if version < 1:
        raise ValueError(f"version must be 1 or more, not {version}")
    admin = load_admin_units()
    paths = []
    for month in months:
        period = month.replace(day=1)
        for unit in submitting_units(admin, province, period):
            sub = build_submission(admin, unit, period, seed, version)
            paths.append(render(sub, out_dir, seed, messy, fmt, admin))
    return paths


# ---------------------------------------------------------------------------------------------
# known-bad variants


def _edit(good: Path, dest: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(good)
    change(wb)
    dest.write_bytes(workbook_bytes(wb))
    return dest


def _header_col(ws, key: str) -> int:
    for cell in ws[1]:
        if cell.value == key:
            return cell.column
    raise KeyError(f"{ws.title} has no column {key!r} in row 1 (a clean generated file is needed)")


def _set(ws, row: int, key: str, value: Any) -> None:
    neutralise(ws.cell(row=row, column=_header_col(ws, key), value=value))


def _info(ws, key: str, value: Any) -> None:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == key:
            row[1].value = value
            return
    raise KeyError(key)


def _first_unit_rows(ws, unit_code: str) -> list[int]:
    col = _header_col(ws, "unit_code")
    return [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == unit_code]


def write_bad_variants(good: Path, out_dir: Path) -> dict[str, Path]:
    """Known-bad copies of a clean generated submission, keyed by the check name each must raise.

    Reader checks (ingest/intake/reader.py): file_unreadable (not a workbook), missing_sheet,
    missing_column, bad_number, bad_mark, bad_date, bad_period, unknown_unit, province_mismatch,
    unknown_commune (a commune of another district), duplicate_commune, unsafe_zip_entry (`../`
    names), zip_too_many_entries. Validation (GX, ingest/quality/validate.py) checks:
    criteria_met_mismatch, amount_not_negative, total_mismatch, stars_out_of_range,
    future_period (the period two months on: after the month of receipt when received in the
    period's month or the next); and the warning title_at_risk (an NTM
    commune not meeting all 19).
    """
    good = Path(good)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.load_workbook(good, read_only=True)
    info = {row[0]: row[1] for row in wb["thong_tin"].iter_rows(min_row=2, values_only=True)}
    wb.close()
    admin = load_admin_units()
    period = date(int(info["period"][:4]), int(info["period"][5:7]), 1)
    unit = str(info["submitting_unit_code"])
    stem = good.stem
    variants: dict[str, Path] = {}

    def add(check: str, change: Callable[[openpyxl.Workbook], None]) -> None:
        variants[check] = _edit(good, out / f"{stem}__{check}.xlsx", change)

    bad = out / f"{stem}__file_unreadable.xlsx"
    bad.write_text("this is not a workbook\n", encoding="utf-8")
    variants["file_unreadable"] = bad

    add("missing_sheet", lambda wb: wb.remove(wb["tieu_chi_xa"]))
    add("missing_column", lambda wb: wb["tieu_chi_xa"].delete_cols(_header_col(wb["tieu_chi_xa"], "commune_code")))
    add("bad_number", lambda wb: _set(wb["nguon_von"], 2, "amount_mvnd", "12,3,4 triệu"))
    add("bad_mark", lambda wb: _set(wb["tieu_chi_xa"], 2, "tc05", "có lẽ"))
    add("bad_date", lambda wb: _info(wb["thong_tin"], "submitted_on", "31/02/2023"))
    add("bad_period", lambda wb: _info(wb["thong_tin"], "period", "tháng năm"))
    add("unknown_unit", lambda wb: _info(wb["thong_tin"], "submitting_unit_code", "999"))
    other_province = next(p.code for p in admin.provinces(period) if p.code != admin.unit(unit, period).province_code)
    add("province_mismatch", lambda wb: _info(wb["thong_tin"], "province_code", other_province))

    def other_commune(wb: openpyxl.Workbook) -> None:
        own = {u.code for u in admin.communes_of(unit, period)}
        province = admin.unit(unit, period).province_code
        stranger = next(c for p in admin.provinces(period) if p.code != province
                        for c in admin.communes_of(p.code, period) if c.code not in own)
        _set(wb["tieu_chi_xa"], 2, "commune_code", stranger.code)
        _set(wb["tieu_chi_xa"], 2, "commune_name", stranger.name)
    add("unknown_commune", other_commune)

    def duplicate(wb: openpyxl.Workbook) -> None:
        ws = wb["tieu_chi_xa"]
        ws.append([c.value for c in ws[2]])
    add("duplicate_commune", duplicate)

    # two months on: "future" for a file received in its own period's month or the next one
    # (the validation takes the receipt date); the same unit still exists then, as a rule
    ahead = add_months(period, 2)
    add("future_period", lambda wb: _info(wb["thong_tin"], "period", f"{ahead:%Y-%m}"))

    def mismatch(wb: openpyxl.Workbook) -> None:
        ws = wb["tieu_chi_xa"]
        col = _header_col(ws, "criteria_met")
        ws.cell(2, col).value = (int(ws.cell(2, col).value) + 1) % 20
    add("criteria_met_mismatch", mismatch)

    def negative(wb: openpyxl.Workbook) -> None:
        ws = wb["nguon_von"]
        rows = _first_unit_rows(ws, unit)
        col = _header_col(ws, "amount_mvnd")
        value = ws.cell(rows[0], col).value
        ws.cell(rows[0], col).value = -abs(value) - 1
        ws.cell(rows[-1], col).value = round(ws.cell(rows[-1], col).value - 2 * abs(value) - 1, 1)  # keep tong right
    add("amount_not_negative", negative)

    def total(wb: openpyxl.Workbook) -> None:
        ws = wb["nguon_von"]
        rows = _first_unit_rows(ws, unit)
        col = _header_col(ws, "amount_mvnd")
        ws.cell(rows[-1], col).value = ws.cell(rows[-1], col).value + 1000
    add("total_mismatch", total)

    def stars(wb: openpyxl.Workbook) -> None:
        ws = wb["ocop"] if "ocop" in wb.sheetnames else None
        if ws is None:
            raise LookupError("the good file has no OCOP products")
        col = _header_col(ws, "stars")
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None)
        ws.cell(row, col).value = 6
    if _has_rated_product(good):
        add("stars_out_of_range", stars)

    def titled_at_risk(wb: openpyxl.Workbook) -> None:
        ws = wb["tieu_chi_xa"]
        for key in CRITERIA:
            _set(ws, 2, key, "Đ")
        _set(ws, 2, CRITERIA[16], "CĐ")  # environment slipped after the title
        _set(ws, 2, "criteria_met", 18)
        _set(ws, 2, "ntm_title", TITLES["ntm"])
        _set(ws, 2, "title_decision", "123/QĐ-UBND")
        _set(ws, 2, "title_date", date(period.year - 2, 6, 15))
    add("title_at_risk", titled_at_risk)  # a warning: loads, flagged for auditors

    variants.update(_bad_zips(good, out, stem))
    return variants


def _has_rated_product(path: Path) -> bool:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        if "ocop" not in wb.sheetnames:
            return False
        rows = list(wb["ocop"].iter_rows(values_only=True))
        col = rows[0].index("stars")
        return any(row[col] is not None for row in rows[1:])
    finally:
        wb.close()


def _bad_zips(good: Path, out: Path, stem: str) -> dict[str, Path]:
    """Zips of CSVs: one with a path-traversal entry name, one with too many entries."""
    wb = openpyxl.load_workbook(good, read_only=True)
    files = {f"{ws.title}.csv": _csv_text([list(r) for r in ws.iter_rows(values_only=True)])
             for ws in wb.worksheets}
    wb.close()
    traversal = dict(files)
    traversal["../../evil.csv"] = "x\n1\n"
    many = dict(files)
    many.update({f"extra_{i:03d}.csv": "x\n1\n" for i in range(60)})
    paths = {"unsafe_zip_entry": out / f"{stem}__unsafe_zip_entry.zip",
             "zip_too_many_entries": out / f"{stem}__zip_too_many_entries.zip"}
    paths["unsafe_zip_entry"].write_bytes(_zip(traversal))
    paths["zip_too_many_entries"].write_bytes(_zip(many))
    return paths
