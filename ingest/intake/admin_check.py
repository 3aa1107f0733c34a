"""Administrative checks of a read submission against the unit list in force on the period's
last day: the submitting unit and its level, the province, the communes of every sheet (only xã
take part: a ward, township or special zone row is a warning and is kept), commune names
resolved to codes, and rows that would collide on a raw table's primary key."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pandas as pd

from ingest.intake import rules
from ingest.intake.admin_units import AdminUnits, Unit, import_hint
from ingest.intake.collect import Collector
from ingest.intake.tables import as_column

REFORM_LIST = "2025"


def _last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def check_admin(info: dict[str, Any], frames: dict[str, pd.DataFrame], admin: AdminUnits,
                has_district_sheet: bool, f: Collector) -> None:
    """The submitting unit, then the communes of every sheet (fills tieu_chi_xa codes given by name)."""
    unit_code, period = info.get("submitting_unit_code"), info.get("period")
    if unit_code is None or period is None:
        return
    on = _last_day(period)
    unit = _submitting_unit(info, admin, on, has_district_sheet, f)
    if unit is None:
        return
    units = {u.code: u for u in admin.communes_of(unit.code, on)}
    communes = set(units)
    _check_communes(frames["tieu_chi_xa"], unit, units, admin, on, f)
    for sheet, column, allowed in (("nguon_von", "unit_code", communes | {unit.code}),
                                   ("ocop", "commune_code", communes), ("ho_tro", "commune_code", communes)):
        frame = frames[sheet]
        for row, code in zip(frame["excel_row"].tolist(), frame[column].tolist(), strict=True):
            if code is not None and code not in allowed:
                _unknown_commune(f, sheet, row, column, code, unit.code, unit.name, on, admin)


def _submitting_unit(info: dict[str, Any], admin: AdminUnits, on: date, has_district_sheet: bool,
                     f: Collector) -> Unit | None:
    """The submitting unit in force on `on` at the level that submits then; None (and an error) if not."""
    unit_code, period = info["submitting_unit_code"], info["period"]
    unit = admin.unit(unit_code, on)
    if unit is None:
        hint_vi, hint_en = import_hint(on)
        f.add("error", "unknown_unit",
              f"Mã đơn vị báo cáo {unit_code} không có trong danh mục hành chính áp dụng ngày {on:%d/%m/%Y}{hint_vi}",
              f"submitting unit {unit_code} is not in the administrative list in force on {on}{hint_en}",
              "thong_tin", None, "submitting_unit_code", unit_code)
        return None
    expected = ("district",) if admin.list_for(on) != REFORM_LIST else ("province", "commune")
    if unit.level not in expected:
        f.add("error", "wrong_unit_level",
              f"Đơn vị {unit_code} ({unit.name}) là cấp {unit.level}; kỳ {period:%m/%Y} đơn vị báo cáo phải là "
              f"{' hoặc '.join(expected)}",
              f"unit {unit_code} ({unit.name}) is a {unit.level}; for {period:%Y-%m} the submitting unit must be a "
              f"{' or '.join(expected)}", "thong_tin", None, "submitting_unit_code", unit_code)
        return None
    province = info.get("province_code")
    if province is not None and province != unit.province_code:
        f.add("error", "province_mismatch",
              f"Mã tỉnh {province} không khớp: đơn vị {unit_code} thuộc tỉnh {unit.province_code}",
              f"province code {province} does not match: unit {unit_code} belongs to province {unit.province_code}",
              "thong_tin", None, "province_code", province)
    if period.month == 12 and unit.level == "district" and not has_district_sheet:
        f.add("error", "missing_sheet", "Báo cáo tháng 12 phải có trang tieu_chi_huyen (tiêu chí huyện)",
              "a December submission must include the tieu_chi_huyen sheet (district criteria)", "tieu_chi_huyen")
    return unit


def _check_communes(xa: pd.DataFrame, unit: Unit, units: dict[str, Unit], admin: AdminUnits, on: date,
                    f: Collector) -> None:
    """tieu_chi_xa: each row's commune belongs to the unit (codes resolved from names), is a xã,
    is reported once; the unit's xã that are missing."""
    rural = {code for code, u in units.items() if rules.is_rural_commune(u)}
    codes = xa["commune_code"].tolist()
    rows = xa["excel_row"].tolist()
    seen: set[str] = set()
    for i, (code, name, row) in enumerate(zip(codes, xa["commune_name"].tolist(), rows, strict=True)):
        if code is None:
            code = codes[i] = _resolve_by_name(name, unit.code, on, admin, row, f)
        elif code not in units:
            _unknown_commune(f, "tieu_chi_xa", row, "commune_code", code, unit.code, unit.name, on, admin)
        if code in units and code not in rural:
            _not_rural(f, row, units[code], unit.code, unit.name)
        if code is not None and code in seen:
            f.add("error", "duplicate_commune", f"Xã {code} được báo cáo hai lần (dòng {row})",
                  f"commune {code} is reported twice (row {row})", "tieu_chi_xa", row, "commune_code", code)
        seen.add(code)
    xa["commune_code"] = as_column(codes, "str").set_axis(xa.index)
    missing = sorted(rural - seen)  # only xã take part: a district's wards are never missing
    if missing and codes:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        f.add("warning", "missing_communes",
              f"{len(missing)} xã của đơn vị {unit.code} không có trong tieu_chi_xa: {shown}",
              f"{len(missing)} rural communes (xã) of unit {unit.code} are missing from tieu_chi_xa: {shown}",
              "tieu_chi_xa", None, "commune_code", shown)


def _not_rural(f: Collector, row: int, commune: Unit, unit_code: str, unit_name: str) -> None:
    """A ward, township or special zone of the unit: urban, it takes no part in NTM. The row is kept
    (it reaches raw) and never counted (the warehouse counts xã only)."""
    kind_vi = (commune.unit_type or "đơn vị").lower()
    kind_en = rules.unit_type_en(commune.unit_type)
    f.add("warning", "not_a_rural_commune",
          f"Trang tieu_chi_xa, dòng {row}: {commune.name} ({commune.code}) của {unit_name} ({unit_code}) là "
          f"{kind_vi}, không phải xã, nên không tham gia Chương trình NTM; dòng được lưu nhưng không được tính",
          f"sheet tieu_chi_xa, row {row}: {commune.name} ({commune.code}) of {unit_name} ({unit_code}) is a "
          f"{kind_en}, not a rural commune (xã), and takes no part in NTM; the row is kept but never counted",
          "tieu_chi_xa", row, "commune_code", commune.code)


def _unknown_commune(f: Collector, sheet: str, row: int, column: str, code: str, unit_code: str, unit_name: str,
                     on: date, admin: AdminUnits) -> None:
    other = admin.unit(code, on)
    if other is None:
        hint_vi, hint_en = import_hint(on)
        vi = f"Mã {code} không có trong danh mục hành chính áp dụng ngày {on:%d/%m/%Y}{hint_vi}"
        en = f"code {code} is not in the administrative list in force on {on}{hint_en}"
    else:
        vi = f"{other.name} ({code}) không thuộc {unit_name} ({unit_code})"
        en = f"{other.name} ({code}) is not part of {unit_name} ({unit_code})"
    f.add("error", "unknown_commune", f"Trang {sheet}, dòng {row}: {vi}", f"sheet {sheet}, row {row}: {en}",
          sheet, row, column, code)


def _resolve_by_name(name: str | None, unit_code: str, on: date, admin: AdminUnits, row: int,
                     f: Collector) -> str | None:
    if name is None:
        f.add("error", "missing_value", f"Trang tieu_chi_xa, dòng {row}: thiếu mã xã và tên xã",
              f"sheet tieu_chi_xa, row {row}: neither commune code nor name is given", "tieu_chi_xa", row, "commune_code")
        return None
    matches = admin.find_commune_by_name(name, unit_code, on)
    if len(matches) > 1:  # names that differ only by diacritics (Vĩnh Hưng, Vĩnh Hùng): use them
        wanted = name.casefold()
        exact = [u for u in matches if wanted in (u.name.casefold(), _without_type(u.name).casefold())]
        matches = exact or matches
    if len(matches) == 1:
        return matches[0].code
    if not matches:
        hint_vi, hint_en = import_hint(on)
        f.add("error", "unknown_commune",
              f"Trang tieu_chi_xa, dòng {row}: không tìm thấy xã '{name}' trong đơn vị {unit_code} "
              f"theo danh mục áp dụng ngày {on:%d/%m/%Y}{hint_vi}",
              f"sheet tieu_chi_xa, row {row}: no commune named {name!r} in unit {unit_code} in the list in force "
              f"on {on}{hint_en}", "tieu_chi_xa", row, "commune_name", name)
    else:
        codes = ", ".join(u.code for u in matches)
        f.add("error", "ambiguous_commune",
              f"Trang tieu_chi_xa, dòng {row}: tên xã '{name}' trùng nhiều xã ({codes}); hãy ghi mã xã",
              f"sheet tieu_chi_xa, row {row}: the name {name!r} matches several communes ({codes}); give the code",
              "tieu_chi_xa", row, "commune_name", name)
    return None


def _without_type(name: str) -> str:
    for prefix in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def check_duplicates(frames: dict[str, pd.DataFrame], f: Collector) -> None:
    """Rows that would collide on the raw table's primary key (communes: in check_admin)."""
    for sheet, keys in (("nguon_von", ["unit_code", "source_code", "capital_type"]),
                        ("tieu_chi_huyen", ["criterion_no"])):
        frame = frames[sheet]
        seen: set[tuple[Any, ...]] = set()
        columns = [frame[k].tolist() for k in keys]
        for row, *values in zip(frame["excel_row"].tolist(), *columns, strict=True):
            record = tuple(values)
            if any(v is None or v is pd.NA for v in record):
                continue
            if record in seen:
                label = " / ".join(str(v) for v in record)
                f.add("error", "duplicate_row", f"Trang {sheet}, dòng {row}: dòng trùng ({label})",
                      f"sheet {sheet}, row {row}: duplicate row ({label})", sheet, row, keys[-1], label)
            seen.add(record)
