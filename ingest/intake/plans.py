"""The optional sheets `kieu_mau` (model villages and roads) and `ke_hoach` (the year's plan and
registrations), submission-format.md: the indicator normaliser (machine code or Vietnamese label,
with or without diacritics, and the wordings hand-made plans use) and the checks that need the
administrative list in force on the period's last day:

- `kieu_mau`: every row names a commune of the submitting unit (`unknown_commune`, error);
- `ke_hoach`: a target row names the submitting unit itself (`plan_unit_mismatch`, error); a
  registration row (`register_advanced`, `register_model`) names a xã of the unit
  (`registration_not_a_xa`, error: a ward or township takes no part, another unit's commune is
  not the unit's to register); the same (unit, indicator) twice is `duplicate_row` (error).

The data rules (year of the plan, whole counts, road length without a count, falling cumulative
counts) are Great Expectations rules: ingest/quality/suites.py.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pandas as pd

from ingest.contract import INDICATORS, PLAN_REGISTRATIONS
from ingest.intake import normalise as nz
from ingest.intake import rules
from ingest.intake.admin_units import AdminUnits
from ingest.intake.collect import Collector

# Wordings of hand-made plans beyond the template's labels (compared without case or diacritics).
_INDICATOR_ALIASES: dict[str, list[str]] = {
    "communes_ntm": ["Xã đạt chuẩn NTM", "Số xã đạt chuẩn nông thôn mới", "Xã nông thôn mới", "Xã NTM"],
    "communes_advanced": ["Xã đạt chuẩn NTM nâng cao", "Số xã NTM nâng cao", "Xã nông thôn mới nâng cao",
                          "Xã NTM nâng cao", "Số xã đạt chuẩn nông thôn mới nâng cao"],
    "communes_model": ["Xã đạt chuẩn NTM kiểu mẫu", "Số xã NTM kiểu mẫu", "Xã nông thôn mới kiểu mẫu",
                       "Xã NTM kiểu mẫu", "Số xã đạt chuẩn nông thôn mới kiểu mẫu"],
    "model_villages": ["Thôn kiểu mẫu", "Số thôn NTM kiểu mẫu", "Thôn NTM kiểu mẫu", "Số thôn, bản kiểu mẫu",
                       "Khu dân cư kiểu mẫu"],
    "model_roads": ["Tuyến đường kiểu mẫu", "Số tuyến đường mẫu", "Tuyến đường mẫu", "Đường kiểu mẫu"],
    "ocop_products": ["Sản phẩm OCOP", "Số sản phẩm OCOP đạt 3 sao trở lên", "OCOP"],
    "district_ntm": ["Huyện NTM", "Huyện đạt chuẩn nông thôn mới", "Đạt chuẩn huyện NTM"],
    "register_advanced": ["Đăng ký NTM nâng cao", "Xã đăng ký nâng cao", "Đăng ký xã NTM nâng cao"],
    "register_model": ["Đăng ký NTM kiểu mẫu", "Xã đăng ký kiểu mẫu", "Đăng ký xã NTM kiểu mẫu"],
}
_INDICATORS: dict[str, str] = {}
for _code, _label in INDICATORS.items():
    for _name in (_code, _label, *_INDICATOR_ALIASES.get(_code, [])):
        if _INDICATORS.setdefault(nz.key(_name), _code) != _code:
            raise AssertionError(f"{_name!r} names two indicators")


def plan_indicator(value: Any) -> str:
    """One of the indicator codes of ke_hoach, by code or Vietnamese label (any diacritics)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise nz.NormaliseError(f"Chỉ tiêu '{value!r}' không hợp lệ", f"indicator {value!r} is not valid")
    k = nz.key(value)
    if not k:
        raise nz.NormaliseError("Thiếu chỉ tiêu", "the indicator is missing")
    found = _INDICATORS.get(k)
    if found is None:
        shown = nz.clean_text(value)
        raise nz.NormaliseError(f"Chỉ tiêu '{shown}' không có trong danh mục ({', '.join(INDICATORS)})",
                                f"indicator {shown!r} is not one of: {', '.join(INDICATORS)}")
    return found


def _last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def check_plans(info: dict[str, Any], frames: dict[str, pd.DataFrame], admin: AdminUnits, f: Collector) -> None:
    """The units named on kieu_mau and ke_hoach, against the list in force on the period's last day."""
    unit_code, period = info.get("submitting_unit_code"), info.get("period")
    if unit_code is None or period is None or admin.unit(unit_code, _last_day(period)) is None:
        return  # the submitting unit itself is reported by check_admin
    on = _last_day(period)
    communes = {u.code: u for u in admin.communes_of(unit_code, on)}
    km = frames.get("kieu_mau")
    if km is not None:
        for row, code in zip(km["excel_row"].tolist(), km["commune_code"].tolist(), strict=True):
            if code is not None and code not in communes:
                _not_of_unit(f, "kieu_mau", row, code, unit_code, on, admin)
    kh = frames.get("ke_hoach")
    if kh is None:
        return
    seen: set[tuple[Any, Any, Any]] = set()
    for row, year, code, indicator in zip(kh["excel_row"].tolist(), kh["year"].tolist(), kh["unit_code"].tolist(),
                                          kh["indicator"].tolist(), strict=True):
        if code is None or indicator is None:
            continue
        if indicator in PLAN_REGISTRATIONS:
            commune = communes.get(code)
            if commune is None or not rules.is_rural_commune(commune):
                what = _describe(code, on, admin)
                f.add("error", "registration_not_a_xa",
                      f"Trang ke_hoach, dòng {row}: đăng ký {INDICATORS[indicator]} phải ghi mã một xã của đơn vị "
                      f"{unit_code}; {what[0]}",
                      f"sheet ke_hoach, row {row}: a registration ({indicator}) must name a xã of unit {unit_code}; "
                      f"{what[1]}", "ke_hoach", row, "unit_code", code)
        elif code != unit_code:
            f.add("error", "plan_unit_mismatch",
                  f"Trang ke_hoach, dòng {row}: chỉ tiêu {INDICATORS[indicator]} là kế hoạch của đơn vị báo cáo "
                  f"{unit_code}, không phải của {code}",
                  f"sheet ke_hoach, row {row}: the target {indicator} is the submitting unit's ({unit_code}), "
                  f"not {code}'s", "ke_hoach", row, "unit_code", code)
        record = (year, code, indicator)
        if record in seen:
            label = f"{year} / {code} / {indicator}"
            f.add("error", "duplicate_row", f"Trang ke_hoach, dòng {row}: dòng trùng ({label})",
                  f"sheet ke_hoach, row {row}: duplicate row ({label})", "ke_hoach", row, "indicator", label)
        seen.add(record)


def _describe(code: str, on: date, admin: AdminUnits) -> tuple[str, str]:
    other = admin.unit(code, on)
    if other is None:
        return (f"mã {code} không có trong danh mục hành chính ngày {on:%d/%m/%Y}",
                f"code {code} is not in the administrative list in force on {on}")
    if other.level == "commune" and not rules.is_rural_commune(other):
        return (f"{other.name} ({code}) không phải xã nên không tham gia NTM",
                f"{other.name} ({code}) is a {rules.unit_type_en(other.unit_type)}, not a xã, and takes no part in NTM")
    return (f"{other.name} ({code}) không phải xã của đơn vị", f"{other.name} ({code}) is not a xã of the unit")


def _not_of_unit(f: Collector, sheet: str, row: int, code: str, unit_code: str, on: date, admin: AdminUnits) -> None:
    other = admin.unit(code, on)
    vi, en = ((f"mã {code} không có trong danh mục hành chính ngày {on:%d/%m/%Y}",
               f"code {code} is not in the administrative list in force on {on}") if other is None else
              (f"{other.name} ({code}) không thuộc đơn vị {unit_code}", f"{other.name} ({code}) is not part of unit {unit_code}"))
    f.add("error", "unknown_commune", f"Trang {sheet}, dòng {row}: {vi}", f"sheet {sheet}, row {row}: {en}",
          sheet, row, "commune_code", code)
