"""The blank submission workbook districts fill in, written from the contract (ingest.contract:
sheet names, machine keys, Vietnamese labels, the values the dropdowns offer).

The template: one sheet per sheet of the contract, each with an instructions row (row 1, merged),
the header row (row 2, Vietnamese labels; the machine key of each column is in the cell's
comment) and Excel list validations on the data rows. A hidden sheet `danh_muc` holds the
dropdown lists (long Vietnamese names do not fit Excel's 255-character inline lists, and one of
them contains a comma).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ingest.contract import (
    CAPITAL_TYPES,
    CRITERIA,
    CRITERIA_SETS,
    ENTITY_TYPES,
    GROUPS_148,
    GROUPS_1048,
    HARDSHIP,
    INDICATORS,
    MARK_MET,
    MARK_NOT_MET,
    SHEETS,
    SOURCES,
    STARS,
    STATUSES,
    THONG_TIN,
    THONG_TIN_HEADER,
    TITLES,
)
from ingest.devtools.reproducible import AUTHOR, workbook_bytes
from ingest.devtools.xlsx import is_risky


def neutralise(cell: Cell | WriteOnlyCell) -> Cell | WriteOnlyCell:
    """Make a text cell that starts with = + - @ inert: a plain string with Excel's quote prefix
    (what typing a leading apostrophe does). The stored value is unchanged."""
    if isinstance(cell.value, str) and is_risky(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def set_text(ws, row: int, column: int, value: Any) -> Cell:
    """Write a value into a (normal-mode) sheet, neutralising risky text."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    return neutralise(cell)


_INSTRUCTIONS: dict[str, str] = {
    "thong_tin": "Thông tin chung về báo cáo: điền cột Giá trị. Kỳ báo cáo dạng YYYY-MM hoặc MM/YYYY; "
                 "Lần gửi = 1 cho lần đầu, 2, 3... khi gửi bản sửa.",
    "tieu_chi_xa": "Mỗi xã một dòng. TC1...TC19: Đ (đạt) hoặc CĐ (chưa đạt). Số tiêu chí đạt phải bằng "
                   "số tiêu chí đánh dấu Đ. Danh hiệu NTM đòi hỏi đạt đủ 19 tiêu chí.",
    "tieu_chi_huyen": "9 tiêu chí huyện (QĐ 320/QĐ-TTg), bắt buộc trong báo cáo tháng 12.",
    "nguon_von": "Số tiền triệu đồng, lũy kế từ 01/01 đến cuối kỳ báo cáo. Mỗi dòng: một đơn vị, "
                 "một nguồn vốn, một loại vốn. Dòng Tổng (nếu có) phải bằng tổng các nguồn.",
    "ocop": "Mỗi sản phẩm một dòng. Số sao 3, 4 hoặc 5; để trống khi hồ sơ đang hoàn thiện. "
            "Hiệu lực thường là 36 tháng kể từ ngày quyết định. Nhóm sản phẩm theo bộ danh mục đã dùng "
            "khi công nhận (QĐ 148/QĐ-TTg từ 24/02/2023, QĐ 1048/QĐ-TTg trước đó).",
    "ho_tro": "Hỗ trợ của các cơ quan cấp tỉnh cho xã khó khăn trong kỳ báo cáo (triệu đồng, không lũy kế).",
    "kieu_mau": "Không bắt buộc. Mỗi xã có thôn hoặc tuyến đường kiểu mẫu một dòng. Số thôn và số tuyến đường "
                "kiểu mẫu lũy kế (số nguyên ≥ 0); số thôn đăng ký trong năm; chiều dài (km) chỉ ghi khi có số tuyến.",
    "ke_hoach": "Không bắt buộc: gửi kèm báo cáo đầu năm hoặc khi điều chỉnh kế hoạch. Năm phải là năm của kỳ báo "
                "cáo. Chỉ tiêu của đơn vị: Mã đơn vị = mã đơn vị báo cáo. Đăng ký xã nâng cao / kiểu mẫu: mỗi xã "
                "một dòng, Mã đơn vị = mã xã, Kế hoạch = 1.",
}

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_DATA_ROWS = 1000


@dataclass(frozen=True)
class _ListSpec:
    name: str
    values: list[str]


def _lists() -> list[_ListSpec]:
    return [
        _ListSpec("marks", [MARK_MET, MARK_NOT_MET]),
        _ListSpec("sources", [v for k, v in SOURCES.items()]),
        _ListSpec("capital_types", list(CAPITAL_TYPES)),
        # both catalogues: a product keeps the group of the catalogue it was rated under
        _ListSpec("groups", list(dict.fromkeys([*GROUPS_148.values(), *GROUPS_1048.values()]))),
        _ListSpec("stars", [str(s) for s in STARS]),
        _ListSpec("statuses", list(STATUSES)),
        _ListSpec("titles", list(TITLES.values())),
        _ListSpec("hardship", list(HARDSHIP)),
        _ListSpec("entity_types", list(ENTITY_TYPES)),
        _ListSpec("estimate", ["x"]),
        _ListSpec("criteria_sets", list(CRITERIA_SETS)),
        _ListSpec("indicators", list(INDICATORS.values())),
    ]


# (sheet, column key) -> list name
_VALIDATED: dict[tuple[str, str], str] = {
    **{("tieu_chi_xa", key): "marks" for key in CRITERIA},
    ("tieu_chi_xa", "ntm_title"): "titles",
    ("tieu_chi_xa", "hardship"): "hardship",
    ("tieu_chi_huyen", "met"): "marks",
    ("tieu_chi_huyen", "district_title"): "titles",
    ("nguon_von", "source"): "sources",
    ("nguon_von", "capital_type"): "capital_types",
    ("nguon_von", "is_estimate"): "estimate",
    ("ocop", "product_group"): "groups",
    ("ocop", "stars"): "stars",
    ("ocop", "status"): "statuses",
    ("ocop", "entity_type"): "entity_types",
    ("ke_hoach", "indicator"): "indicators",
}


# A unit's own template: (sheet, column key) -> list of the unit's xã (or xã and the unit itself)
_COMMUNE_VALIDATED: dict[tuple[str, str], str] = {
    ("tieu_chi_xa", "commune_code"): "commune_codes",
    ("tieu_chi_xa", "commune_name"): "commune_names",
    ("nguon_von", "unit_code"): "unit_codes",
    ("ocop", "commune_code"): "commune_codes",
    ("ho_tro", "commune_code"): "commune_codes",
    ("kieu_mau", "commune_code"): "commune_codes",
    ("kieu_mau", "commune_name"): "commune_names",
    ("ke_hoach", "unit_code"): "unit_codes",
}


@dataclass(frozen=True)
class _UnitLists:
    """What a unit's own template pre-fills and offers: its codes, the period, the criteria set in
    force, and its xã (only xã take part in NTM: wards, townships and special zones are left out)."""
    province_code: str
    unit_code: str
    period: date
    criteria_set: str
    communes: list[tuple[str, str]]  # (code, name) of the unit's xã


def unit_lists(unit_code: str, month: date) -> _UnitLists:
    """The lists of `unit_code` (a district before July 2025; a province or commune after) in the
    administrative list in force at the end of `month`. Raises ValueError for an unknown unit."""
    import calendar

    from ingest.intake.admin_units import package_units
    from ingest.intake.rules import criteria_set_in_force, rural_communes

    admin = package_units()
    period = month.replace(day=1)
    on = period.replace(day=calendar.monthrange(period.year, period.month)[1])
    unit = admin.unit(unit_code, on)
    if unit is None or unit.level not in (("district",) if admin.list_for(on) != "2025" else ("province", "commune")):
        raise ValueError(f"{unit_code!r} is not a submitting unit in the administrative list of {period:%Y-%m}")
    communes = [(u.code, u.name) for u in rural_communes(admin, unit.code, on)]
    return _UnitLists(unit.province_code, unit.code, period, criteria_set_in_force(period), communes)


def _write_lists(wb: Workbook, unit: _UnitLists | None = None) -> dict[str, str]:
    """The hidden `danh_muc` sheet: one column per list; returns list name -> range formula."""
    ws = wb.create_sheet("danh_muc")
    ws.sheet_state = "hidden"
    ranges: dict[str, str] = {}
    specs = _lists()
    if unit is not None and unit.communes:
        specs += [_ListSpec("commune_codes", [c for c, _ in unit.communes]),
                  _ListSpec("commune_names", [n for _, n in unit.communes]),
                  _ListSpec("unit_codes", [unit.unit_code] + [c for c, _ in unit.communes])]
    for col, spec in enumerate(specs, start=1):
        set_text(ws, 1, col, spec.name)
        for row, value in enumerate(spec.values, start=2):
            set_text(ws, row, col, value)
        letter = get_column_letter(col)
        ranges[spec.name] = f"danh_muc!${letter}$2:${letter}${len(spec.values) + 1}"
    return ranges


def _header_sheet(wb: Workbook, sheet: str, columns: dict[str, str], ranges: dict[str, str]) -> None:
    ws = wb.create_sheet(sheet)
    set_text(ws, 1, 1, _INSTRUCTIONS[sheet]).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(columns), 2))
    ws.row_dimensions[1].height = 45
    for col, (key, label) in enumerate(columns.items(), start=1):
        cell = set_text(ws, 2, col, label)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.comment = Comment(f"key: {key}", AUTHOR)
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(40, len(label) + 4))
        list_name = _VALIDATED.get((sheet, key)) or _COMMUNE_VALIDATED.get((sheet, key))
        if list_name in ranges:
            dv = DataValidation(type="list", formula1=ranges[list_name], allow_blank=True,
                                showErrorMessage=True, errorTitle="Giá trị không hợp lệ",
                                error="Chọn một giá trị trong danh sách.")
            dv.add(f"{get_column_letter(col)}3:{get_column_letter(col)}{_DATA_ROWS + 2}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A3"


def _thong_tin_sheet(wb: Workbook, ranges: dict[str, str], unit: _UnitLists | None = None) -> None:
    _header_sheet(wb, "thong_tin", THONG_TIN_HEADER, ranges)
    ws = wb["thong_tin"]
    for row, (key, label) in enumerate(THONG_TIN.items(), start=3):
        cell = set_text(ws, row, 1, label)
        cell.comment = Comment(f"key: {key}", AUTHOR)
    set_text(ws, 3 + list(THONG_TIN).index("version"), 2, 1)
    set_text(ws, 3 + list(THONG_TIN).index("criteria_set"), 2, unit.criteria_set if unit else CRITERIA_SETS[0])
    if unit is not None:
        for key, value in (("province_code", unit.province_code), ("submitting_unit_code", unit.unit_code),
                           ("period", f"{unit.period:%Y-%m}")):
            set_text(ws, 3 + list(THONG_TIN).index(key), 2, value)
    dv = DataValidation(type="list", formula1=ranges["criteria_sets"], allow_blank=False)
    dv.add(f"B{3 + list(THONG_TIN).index('criteria_set')}")
    ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 24


def save_workbook(wb: Workbook, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(wb))
    return path


def write_template(path: Path, unit_code: str | None = None, month: date | None = None) -> Path:
    """Write the blank submission workbook to `path` (parents created); returns the path.

    With `unit_code` and `month`, the workbook is that unit's for that month: thong_tin carries
    its codes, the period and the criteria set in force, and the commune columns (tieu_chi_xa,
    ocop, ho_tro; nguon_von with the unit itself) offer the unit's xã only."""
    if (unit_code is None) != (month is None):
        raise ValueError("a unit's template needs both the unit code and the month")
    unit = unit_lists(unit_code, month) if unit_code is not None and month is not None else None
    wb = Workbook()
    wb.remove(wb.active)
    # the lists sheet must exist before the validations that name it; it is moved last below
    ranges = _write_lists(wb, unit)
    _thong_tin_sheet(wb, ranges, unit)
    for sheet, columns in SHEETS.items():
        if sheet != "thong_tin":
            _header_sheet(wb, sheet, columns, ranges)
    wb.move_sheet("danh_muc", offset=len(wb.sheetnames) - 1)
    wb.active = 0
    return save_workbook(wb, path)
