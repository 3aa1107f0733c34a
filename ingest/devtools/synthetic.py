"""The content of synthetic district submissions, from the real administrative lists.

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
- kieu_mau and ke_hoach: model villages and roads growing through the year; the year's plan in
  January (or with the first generated month), corrected mid-year by some units
  (ingest/devtools/synthetic_plans.py).

Only xã take part in NTM (domain.md, "Who takes part"): every row names a xã (criteria, funding,
OCOP, support), and a district without xã (an urban district, all wards) sends nothing.
From July 2025 (the 2025 list, no districts) the province submits for its communes.
The rendering (clean or messy cells) is ingest/devtools/rendering.py; files: generate.py.
"""

from __future__ import annotations

import calendar
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from ingest.contract import CRITERIA, HO_TRO, NGUON_VON, OCOP, TIEU_CHI_HUYEN, TIEU_CHI_XA
from ingest.devtools import synthetic_plans
from ingest.intake.admin_units import LIST_2025, AdminUnits, Unit
from ingest.intake.rules import criteria_set_in_force, rural_communes

EPOCH = date(2011, 1, 1)
NEVER = 10**6

# ---------------------------------------------------------------------------------------------
# helpers


def rng(seed: int, *parts: object) -> random.Random:
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


def short_name(name: str) -> str:
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
    r = rng(seed, "commune", list_name, code)
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
    r = rng(seed, "decision", code, title, since)
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


def _district_titled(seed: int, admin: AdminUnits, district: Unit, period: date) -> tuple[random.Random, int]:
    """The district's generator (after drawing its title month) and the month index of its title."""
    r = rng(seed, "district", district.code)
    communes = rural_communes(admin, district.code, period)
    last_commune = max((_trajectory(seed, admin.list_for(period), c.code).ntm_from for c in communes),
                       default=NEVER)
    return r, (last_commune + r.randint(6, 18) if last_commune < NEVER else NEVER)


def _district_table(seed: int, admin: AdminUnits, district: Unit, period: date) -> Table:
    """The 9 district criteria: met from their own months; the district title once all its
    communes are NTM (plus the time for the Prime Minister's decision)."""
    r, titled = _district_titled(seed, admin, district, period)
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
    r = rng(seed, "funding", unit_code, period.year)
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
            split = rng(seed, "split", unit_code, source, period.year).uniform(0.55, 0.9)
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
    combined = rng(seed, "combined", submitter.code).random() < 0.15
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
    r = rng(seed, "ocop", district.code)
    products = []
    for k in range(r.randint(2, 22)):
        p = rng(seed, "product", district.code, k)
        commune = p.choice(communes)
        place = short_name(commune.name)
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
        r = rng(seed, "support", u.code, period.isoformat())
        if r.random() < 0.35:
            for _ in range(r.randint(1, 2)):
                table.rows.append({"commune_code": u.code, "supporting_agency": r.choice(_AGENCIES),
                                   "description": r.choice(_SUPPORT),
                                   "value_mvnd": round(50 * math.exp(r.gauss(0, 0.8)), 1)})
    return table


def _models_and_plan(seed: int, admin: AdminUnits, submitter: Unit, communes: list[Unit], period: date,
                     reformed: bool, first_month: int) -> dict[str, Table]:
    """kieu_mau (when any xã has a model village or road) and, in the months a plan is sent, ke_hoach."""
    list_name = admin.list_for(period)
    tables: dict[str, Table] = {}
    models = synthetic_plans.models_table(seed, list_name, communes, period, _trajectory)
    if models:
        tables["kieu_mau"] = Table(synthetic_plans.KIEU_MAU_COLUMNS, models)
    if synthetic_plans.sends_plan(seed, submitter.code, period, first_month):
        december = date(period.year, 12, 1) if reformed or period.year < 2025 else date(2025, 6, 1)
        rated = sum(row["status"] in ("rated", "re_rated") for row in _ocop_table(seed, admin, submitter, december).rows)
        titled_this_year = None
        if not reformed:
            _, titled = _district_titled(seed, admin, submitter, period)
            titled_this_year = month_index(date(period.year, 1, 1)) <= titled <= month_index(date(period.year, 12, 1))
        tables["ke_hoach"] = Table(synthetic_plans.KE_HOACH_COLUMNS, synthetic_plans.plan_table(
            seed, list_name, submitter, communes, period, _trajectory, rated, titled_this_year))
    return tables


def build_submission(admin: AdminUnits, submitter: Unit, period: date, seed: int = 0,
                     version: int = 1, first_month: int = 1) -> Submission:
    """The content of one submission: `submitter` is a legacy district (before July 2025) or a
    2025 province (from July 2025). `version` only changes the declared version (and the file
    name): the content depends on (seed, unit, period) alone, except that the year's plan
    (ke_hoach) also goes with `first_month` (the first month generated of the year)."""
    period = period.replace(day=1)
    reformed = admin.list_for(period) == LIST_2025
    communes = rural_communes(admin, submitter.code, period)  # only xã take part in NTM
    r = rng(seed, "thong_tin", submitter.code, period.isoformat())
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
    tables.update(_models_and_plan(seed, admin, submitter, communes, period, reformed, first_month))
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
