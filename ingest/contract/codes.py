"""The code lists of the submission (submission-format.md): machine codes with the Vietnamese
labels a district writes, and what the dbt seeds add (English names, order, state money, rank).

The lists GX rules, normalisers, template, generator and bulletin use are the dicts code ->
Vietnamese label (SOURCES, CAPITAL_TYPES, TITLES, GROUPS_148, GROUPS_1048, STATUSES, ...); the
records behind them (FUNDING_SOURCES, TITLE_LEVELS, OCOP_CATALOGUES) are what
`python -m ingest.contract write-seeds` writes into dbt_project/seeds/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FundingSource:
    code: str
    name_vi: str
    name_en: str
    is_state_budget: bool


# In display order (the seed's sort_order). State money (marts.md): the budgets, their combined
# district-commune figure, and capital integrated from other programmes.
FUNDING_SOURCES: tuple[FundingSource, ...] = (
    FundingSource("ns_tw", "Ngân sách Trung ương", "Central budget", True),
    FundingSource("ns_tinh", "Ngân sách tỉnh", "Provincial budget", True),
    FundingSource("ns_huyen", "Ngân sách huyện", "District budget", True),
    FundingSource("ns_xa", "Ngân sách xã", "Commune budget", True),
    FundingSource("ns_huyen_xa", "Ngân sách huyện, xã", "District and commune budgets (combined)", True),
    FundingSource("long_ghep", "Vốn lồng ghép", "Integrated from other programmes", True),
    FundingSource("tin_dung", "Vốn tín dụng", "Credit", False),
    FundingSource("doanh_nghiep", "Doanh nghiệp, hợp tác xã", "Enterprises and cooperatives", False),
    FundingSource("nhan_dan", "Nhân dân đóng góp", "Community contributions", False),
    FundingSource("khac", "Nguồn khác", "Other", False),
)
TOTAL_SOURCE = "tong"  # a unit's total row in nguon_von: checked against its sources, never summed
SOURCES: dict[str, str] = {**{s.code: s.name_vi for s in FUNDING_SOURCES}, TOTAL_SOURCE: "Tổng"}

CAPITAL_TYPES: dict[str, str] = {"dtpt": "Đầu tư phát triển", "sn": "Sự nghiệp"}


@dataclass(frozen=True)
class OcopGroup:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class OcopCatalogue:
    catalogue: str
    decision: str
    valid_from: date
    groups: tuple[OcopGroup, ...]


# OCOP catalogues: Decision 148/QĐ-TTg (2023) and Decision 1048/QĐ-TTg (2019), each with its groups.
OCOP_CATALOGUES: tuple[OcopCatalogue, ...] = (
    OcopCatalogue("148", "148/QĐ-TTg", date(2023, 2, 24), (
        OcopGroup("g1", "Thực phẩm", "Food"),
        OcopGroup("g2", "Đồ uống", "Beverages"),
        OcopGroup("g3", "Dược liệu và sản phẩm từ dược liệu", "Medicinal herbs and their products"),
        OcopGroup("g4", "Hàng thủ công mỹ nghệ", "Handicrafts"),
        OcopGroup("g5", "Sinh vật cảnh", "Ornamental plants and animals"),
        OcopGroup("g6", "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
                  "Community and eco-tourism services, destinations"),
    )),
    OcopCatalogue("1048", "1048/QĐ-TTg", date(2019, 8, 21), (
        OcopGroup("g1", "Thực phẩm", "Food"),
        OcopGroup("g2", "Đồ uống", "Beverages"),
        OcopGroup("g3", "Thảo dược", "Herbal products"),
        OcopGroup("g4", "Vải và may mặc", "Textiles and garments"),
        OcopGroup("g5", "Lưu niệm - nội thất - trang trí", "Souvenirs, furniture, decoration"),
        OcopGroup("g6", "Dịch vụ du lịch cộng đồng và điểm du lịch", "Community tourism services and destinations"),
    )),
)
CATALOGUES: dict[str, dict[str, str]] = {c.catalogue: {g.code: g.name_vi for g in c.groups} for c in OCOP_CATALOGUES}
CATALOGUE_FROM: dict[str, date] = {c.catalogue: c.valid_from for c in OCOP_CATALOGUES}
GROUPS_148 = CATALOGUES["148"]
GROUPS_1048 = CATALOGUES["1048"]

STATUSES: dict[str, str] = {
    "preparing": "Hồ sơ đang hoàn thiện",
    "rated": "Đã công nhận",
    "re_rated": "Công nhận lại",
    "expired": "Hết hạn",
}
ENTITY_TYPES: dict[str, str] = {"htx": "Hợp tác xã", "dn": "Doanh nghiệp", "tht": "Tổ hợp tác",
                                "ho": "Hộ kinh doanh"}
STARS = (3, 4, 5)


@dataclass(frozen=True)
class TitleLevel:
    code: str
    rank: int
    label: str  # as a submission writes it (the template's dropdown)
    name_vi: str
    name_en: str


TITLE_LEVELS: tuple[TitleLevel, ...] = (
    TitleLevel("none", 0, "", "Chưa đạt chuẩn", "No title"),
    TitleLevel("ntm", 1, "NTM", "Xã đạt chuẩn nông thôn mới", "New-rural commune (NTM)"),
    TitleLevel("advanced", 2, "NTM nâng cao", "Xã nông thôn mới nâng cao", "Advanced new-rural commune"),
    TitleLevel("model", 3, "NTM kiểu mẫu", "Xã nông thôn mới kiểu mẫu", "Model new-rural commune"),
)
# The titles a submission names (an empty cell is `none`).
TITLES: dict[str, str] = {t.code: t.label for t in TITLE_LEVELS if t.rank > 0}

HARDSHIP: dict[str, str] = {"kk": "Khó khăn", "dbkk": "Đặc biệt khó khăn"}
MARK_MET, MARK_NOT_MET = "Đ", "CĐ"


@dataclass(frozen=True)
class PlanIndicator:
    code: str
    label: str  # as a submission writes it (the template's dropdown)
    name_en: str
    is_registration: bool  # a row per xã (unit_code = the xã, target 1), not a target of the unit


# ke_hoach (submission-format.md): what the unit set out to reach by the end of the year.
PLAN_INDICATORS: tuple[PlanIndicator, ...] = (
    PlanIndicator("communes_ntm", "Số xã đạt chuẩn NTM", "Xã holding the NTM title (any level)", False),
    PlanIndicator("communes_advanced", "Số xã đạt chuẩn NTM nâng cao", "Xã holding advanced or model", False),
    PlanIndicator("communes_model", "Số xã đạt chuẩn NTM kiểu mẫu", "Xã holding model", False),
    PlanIndicator("model_villages", "Số thôn kiểu mẫu", "Model villages", False),
    PlanIndicator("model_roads", "Số tuyến đường kiểu mẫu", "Model roads", False),
    PlanIndicator("ocop_products", "Số sản phẩm OCOP", "OCOP products rated 3 stars or more", False),
    PlanIndicator("district_ntm", "Huyện đạt chuẩn NTM", "The district recognised as NTM (1)", False),
    PlanIndicator("register_advanced", "Đăng ký xã nâng cao", "A xã registered to reach advanced", True),
    PlanIndicator("register_model", "Đăng ký xã kiểu mẫu", "A xã registered to reach model", True),
)
PLAN_TARGETS: dict[str, str] = {i.code: i.label for i in PLAN_INDICATORS if not i.is_registration}
PLAN_REGISTRATIONS: dict[str, str] = {i.code: i.label for i in PLAN_INDICATORS if i.is_registration}
INDICATORS: dict[str, str] = {i.code: i.label for i in PLAN_INDICATORS}
