"""The NTM criteria: 19 commune criteria in five groups (2021-2025: Decision 318/QĐ-TTg;
2016-2020: Decision 1980/QĐ-TTg) and 9 district criteria (Decision 320/QĐ-TTg; Decision
558/QĐ-TTg), in Vietnamese and English. The `criteria` dbt seed is written from these.
"""

from __future__ import annotations

from dataclasses import dataclass

CRITERIA_SETS = ("2021-2025", "2016-2020")
CRITERIA = [f"tc{i:02d}" for i in range(1, 20)]
DISTRICT_CRITERIA = [f"h{i:02d}" for i in range(1, 10)]

GROUPS: dict[int, tuple[str, str]] = {
    1: ("I. Quy hoạch", "I. Planning"),
    2: ("II. Hạ tầng kinh tế - xã hội", "II. Socio-economic infrastructure"),
    3: ("III. Kinh tế và tổ chức sản xuất", "III. Economy and production"),
    4: ("IV. Văn hóa - Xã hội - Môi trường", "IV. Culture, society, environment"),
    5: ("V. Hệ thống chính trị", "V. Political system"),
}

# Commune criteria tc01..tc19: (group, 2021-2025 name vi, en[, 2016-2020 name vi, en when it differs]).
_COMMUNE: list[tuple] = [
    (1, "Quy hoạch", "Planning"),
    (2, "Giao thông", "Transport"),
    (2, "Thủy lợi và phòng, chống thiên tai", "Irrigation and disaster prevention", "Thủy lợi", "Irrigation"),
    (2, "Điện", "Electricity"),
    (2, "Trường học", "Schools"),
    (2, "Cơ sở vật chất văn hóa", "Cultural facilities"),
    (2, "Cơ sở hạ tầng thương mại nông thôn", "Rural commercial infrastructure"),
    (2, "Thông tin và Truyền thông", "Information and communications"),
    (2, "Nhà ở dân cư", "Housing"),
    (3, "Thu nhập", "Income"),
    (3, "Nghèo đa chiều", "Multidimensional poverty", "Hộ nghèo", "Poor households"),
    (3, "Lao động", "Labour", "Lao động có việc làm", "Employed labour"),
    (3, "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Production organisation and rural economy",
     "Tổ chức sản xuất", "Production organisation"),
    (4, "Giáo dục và Đào tạo", "Education and training"),
    (4, "Y tế", "Health"),
    (4, "Văn hóa", "Culture"),
    (4, "Môi trường và an toàn thực phẩm", "Environment and food safety"),
    (5, "Hệ thống chính trị và tiếp cận pháp luật", "Political system and access to law"),
    (5, "Quốc phòng và An ninh", "Defence and security"),
]

# District criteria h01..h09 per set: (name vi, name en).
_DISTRICT: dict[str, list[tuple[str, str]]] = {
    "2021-2025": [
        ("Quy hoạch", "Planning"),
        ("Giao thông", "Transport"),
        ("Thủy lợi và phòng, chống thiên tai", "Irrigation and disaster prevention"),
        ("Điện", "Electricity"),
        ("Y tế - Văn hóa - Giáo dục", "Health - Culture - Education"),
        ("Kinh tế", "Economy"),
        ("Môi trường", "Environment"),
        ("Chất lượng môi trường sống", "Quality of the living environment"),
        ("Hệ thống chính trị - An ninh trật tự - Hành chính công",
         "Political system - Security and order - Public administration"),
    ],
    "2016-2020": [
        ("Quy hoạch", "Planning"),
        ("Giao thông", "Transport"),
        ("Thủy lợi", "Irrigation"),
        ("Điện", "Electricity"),
        ("Y tế - Văn hóa - Giáo dục", "Health - Culture - Education"),
        ("Sản xuất", "Production"),
        ("Môi trường", "Environment"),
        ("An ninh, trật tự xã hội", "Security and social order"),
        ("Chỉ đạo xây dựng nông thôn mới", "Direction of NTM building"),
    ],
}


@dataclass(frozen=True)
class Criterion:
    criteria_set: str
    level: str  # "commune" | "district"
    number: int
    code: str
    name_vi: str
    name_en: str
    group: int | None  # 1-5 for commune criteria


def _commune(criteria_set: str) -> list[Criterion]:
    out = []
    for number, (group, vi, en, *older) in enumerate(_COMMUNE, start=1):
        if criteria_set == "2016-2020" and older:
            vi, en = older
        out.append(Criterion(criteria_set, "commune", number, CRITERIA[number - 1], vi, en, group))
    return out


def _district(criteria_set: str) -> list[Criterion]:
    return [Criterion(criteria_set, "district", n, DISTRICT_CRITERIA[n - 1], vi, en, None)
            for n, (vi, en) in enumerate(_DISTRICT[criteria_set], start=1)]


# Every criterion, in the seed's order: commune criteria of each set, then district criteria.
ALL_CRITERIA: list[Criterion] = [*_commune("2021-2025"), *_commune("2016-2020"),
                                 *_district("2021-2025"), *_district("2016-2020")]
CRITERIA_NAMES: dict[str, list[str]] = {s: [c.name_vi for c in _commune(s)] for s in CRITERIA_SETS}
CRITERIA_NAMES_2021 = CRITERIA_NAMES["2021-2025"]
