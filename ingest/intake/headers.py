"""Header detection: which row of a sheet holds the column names, and which machine key each
header cell names (Vietnamese label with or without diacritics, machine key, aliases that
hand-made files use, criterion numbers and names); how each column is normalised."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ingest.contract import CRITERIA, CRITERIA_NAMES, CRITERIA_SETS, SHEETS, THONG_TIN
from ingest.intake import assumed
from ingest.intake import normalise as nz
from ingest.intake.formats import HEADER_SCAN_ROWS, Grid
from ingest.intake.plans import plan_indicator


@dataclass(frozen=True)
class Col:
    normalise: Callable[[Any], Any]
    check: str
    required: bool = False      # the column must be present
    value_required: bool = False  # each data row must have a value
    output: str | None = None   # frame column, when it differs from the key


def _code(lengths: tuple[int, ...]) -> Callable[[Any], str | None]:
    return lambda value: nz.code(value, lengths)


def _positive_int(value: Any) -> int | None:
    result = nz.integer(value)
    if result is not None and result < 1:
        raise nz.NormaliseError(f"Số '{value}' phải lớn hơn 0", f"{value!r} must be 1 or more")
    return result


def _optional_title(value: Any) -> str | None:
    result = nz.title(value)
    return None if result == "none" else result


_COMMUNE = _code((5,))
_UNIT = _code((2, 3, 5))

COLUMNS: dict[str, dict[str, Col]] = {
    "tieu_chi_xa": {
        "commune_code": Col(_COMMUNE, "bad_code", required=True),
        "commune_name": Col(nz.clean_text, "bad_value"),
        **{tc: Col(assumed.mark, "bad_mark", required=True) for tc in CRITERIA},
        "criteria_met": Col(nz.integer, "bad_number", output="criteria_met_reported"),
        "ntm_title": Col(nz.title, "bad_value"),
        "title_decision": Col(nz.clean_text, "bad_value"),
        "title_date": Col(nz.date_value, "bad_date"),
        "hardship": Col(nz.hardship, "bad_value"),
    },
    "tieu_chi_huyen": {
        "criterion": Col(nz.integer, "bad_number", required=True, value_required=True, output="criterion_no"),
        "met": Col(assumed.mark, "bad_mark", required=True, output="is_met"),
        "district_title": Col(_optional_title, "bad_value"),
        "title_decision": Col(nz.clean_text, "bad_value"),
        "title_date": Col(nz.date_value, "bad_date"),
    },
    "nguon_von": {
        "unit_code": Col(_UNIT, "bad_code", required=True, value_required=True),
        "source": Col(nz.funding_source, "bad_value", required=True, value_required=True, output="source_code"),
        "capital_type": Col(nz.capital_type, "bad_value"),
        "amount_mvnd": Col(nz.number, "bad_number", required=True, value_required=True),
        "is_estimate": Col(nz.estimate_mark, "bad_mark"),
    },
    "ocop": {
        "product_code": Col(nz.clean_text, "bad_value"),
        "product_name": Col(nz.clean_text, "bad_value", required=True, value_required=True),
        "commune_code": Col(_COMMUNE, "bad_code", required=True, value_required=True),
        "entity_name": Col(nz.clean_text, "bad_value"),
        "entity_type": Col(nz.entity_type, "bad_value"),
        # (group, catalogue named): split into product_group and catalogue by _ocop_catalogue
        "product_group": Col(nz.ocop_group_named, "bad_value", required=True, value_required=True),
        "stars": Col(nz.integer, "bad_number"),
        "status": Col(nz.ocop_status, "bad_value", required=True, value_required=True),
        "decision_no": Col(nz.clean_text, "bad_value"),
        "decision_date": Col(nz.date_value, "bad_date"),
        "valid_until": Col(nz.date_value, "bad_date"),
    },
    "ho_tro": {
        "commune_code": Col(_COMMUNE, "bad_code", required=True, value_required=True),
        "supporting_agency": Col(nz.clean_text, "bad_value", required=True, value_required=True),
        "description": Col(nz.clean_text, "bad_value"),
        "value_mvnd": Col(nz.number, "bad_number", required=True, value_required=True),
    },
    # counts stay numbers here: GX names a fraction or a negative count (counts_whole, count_negative)
    "kieu_mau": {
        "commune_code": Col(_COMMUNE, "bad_code", required=True, value_required=True),
        "commune_name": Col(nz.clean_text, "bad_value"),
        "model_villages": Col(nz.number, "bad_number"),
        "model_villages_registered": Col(nz.number, "bad_number"),
        "model_roads": Col(nz.number, "bad_number"),
        "model_roads_km": Col(nz.number, "bad_number"),
    },
    "ke_hoach": {
        "year": Col(nz.integer, "bad_number", required=True, value_required=True),
        "unit_code": Col(_UNIT, "bad_code", required=True, value_required=True),
        "indicator": Col(plan_indicator, "bad_value", required=True, value_required=True),
        "target": Col(nz.number, "bad_number", required=True, value_required=True),
        "note": Col(nz.clean_text, "bad_value"),
    },
}
# Defaults when an optional column is absent (else None).
ABSENT = {"ntm_title": "none", "capital_type": "all", "is_estimate": False}

INFO: dict[str, Col] = {
    "province_code": Col(_code((2,)), "bad_code", required=True),
    "submitting_unit_code": Col(_UNIT, "bad_code", required=True),
    "period": Col(nz.period, "bad_period", required=True),
    "version": Col(_positive_int, "bad_number", required=True),
    "submitted_on": Col(nz.date_value, "bad_date"),
    "prepared_by": Col(nz.clean_text, "bad_value"),
    "criteria_set": Col(nz.criteria_set, "bad_value"),
}

# Extra header names (Vietnamese, as hand-made files write them) beyond the template's labels.
_ALIASES: dict[str, dict[str, list[str]]] = {
    "tieu_chi_xa": {"commune_code": ["Mã xã, phường", "Mã đơn vị hành chính", "Mã ĐVHC"],
                    "commune_name": ["Tên xã, phường", "Tên đơn vị", "Xã"],
                    "criteria_met": ["Tổng số tiêu chí đạt", "Số TC đạt", "Số tiêu chí đã đạt"],
                    "ntm_title": ["Danh hiệu NTM", "Đạt chuẩn"],
                    "title_decision": ["Quyết định công nhận", "Số QĐ công nhận", "Số quyết định"],
                    "title_date": ["Ngày quyết định", "Ngày QĐ"],
                    "hardship": ["Khó khăn", "Xã ĐBKK"]},
    "tieu_chi_huyen": {"criterion": ["Số tiêu chí", "STT tiêu chí", "Tiêu chí số"],
                       "met": ["Kết quả", "Đạt chuẩn"],
                       "district_title": ["Danh hiệu"],
                       "title_decision": ["Số quyết định", "Quyết định công nhận"],
                       "title_date": ["Ngày quyết định"]},
    "nguon_von": {"unit_code": ["Mã xã", "Mã đơn vị hành chính"],
                  "amount_mvnd": ["Số tiền", "Giá trị", "Kinh phí", "Số vốn", "Giá trị (triệu đồng)"],
                  "is_estimate": ["Ước thực hiện", "Ước tính"]},
    "ocop": {"entity_name": ["Chủ thể sản xuất", "Tên chủ thể"], "stars": ["Hạng sao", "Xếp hạng sao"],
             "product_group": ["Nhóm", "Nhóm ngành"]},
    "ho_tro": {"supporting_agency": ["Cơ quan", "Đơn vị hỗ trợ"], "description": ["Nội dung"],
               "value_mvnd": ["Giá trị", "Số tiền", "Giá trị (triệu đồng)"]},
    "kieu_mau": {"commune_code": ["Mã đơn vị hành chính", "Mã ĐVHC"], "commune_name": ["Tên đơn vị", "Xã"],
                 "model_villages": ["Thôn kiểu mẫu", "Số thôn NTM kiểu mẫu", "Thôn NTM kiểu mẫu", "Số thôn, bản kiểu mẫu",
                                    "Thôn đạt chuẩn NTM kiểu mẫu", "Số khu dân cư kiểu mẫu"],
                 "model_villages_registered": ["Thôn đăng ký kiểu mẫu", "Số thôn đăng ký", "Đăng ký thôn kiểu mẫu",
                                               "Số thôn đăng ký NTM kiểu mẫu"],
                 "model_roads": ["Tuyến đường kiểu mẫu", "Số tuyến đường mẫu", "Tuyến đường mẫu", "Đường kiểu mẫu"],
                 "model_roads_km": ["Chiều dài (km)", "Chiều dài tuyến đường kiểu mẫu", "Số km đường kiểu mẫu",
                                    "Chiều dài đường kiểu mẫu (km)", "Km"]},
    "ke_hoach": {"year": ["Năm kế hoạch"], "unit_code": ["Mã xã", "Mã đơn vị hành chính", "Mã ĐVHC"],
                 "indicator": ["Chỉ tiêu kế hoạch", "Nội dung", "Tên chỉ tiêu"],
                 "target": ["Kế hoạch năm", "Chỉ tiêu", "Mục tiêu", "Số lượng", "Kế hoạch (số lượng)"],
                 "note": ["Ghi chú"]},
}
_INFO_ALIASES: dict[str, list[str]] = {
    "province_code": ["Mã tỉnh, thành phố"], "submitting_unit_code": ["Mã đơn vị", "Mã huyện"],
    "period": ["Kỳ", "Tháng báo cáo"], "version": ["Lần", "Phiên bản"], "submitted_on": ["Ngày báo cáo"],
    "prepared_by": ["Người báo cáo", "Người lập biểu"],
}


def _header_table(sheet: str) -> dict[str, str]:
    table: dict[str, str] = {}
    labels = SHEETS[sheet]
    for k in COLUMNS[sheet]:
        for name in (k, labels.get(k, k), *_ALIASES.get(sheet, {}).get(k, [])):
            table.setdefault(nz.key(name), k)
            table.setdefault(nz.key(re.sub(r"\(.*?\)", "", name)), k)
    table.pop("", None)
    return table


_HEADERS = {sheet: _header_table(sheet) for sheet in COLUMNS}
# A criterion's name in either set names its column (the 2016-2020 names: "Thủy lợi", "Hộ nghèo"...).
_CRITERION_NAMES: dict[str, str] = {}
for _set in CRITERIA_SETS:
    for _tc, _name in zip(CRITERIA, CRITERIA_NAMES[_set], strict=True):
        _CRITERION_NAMES.setdefault(nz.key(_name), _tc)
_CRITERION_NO = re.compile(r"(?:tc|tieu chi)(?: so)? ?0*(\d{1,2})(?: .*)?")
INFO_KEYS: dict[str, str] = {}
for _k in INFO:
    for _name in (_k, THONG_TIN[_k], *_INFO_ALIASES.get(_k, [])):
        INFO_KEYS.setdefault(nz.key(_name), _k)
INFO_HEADER_WORDS = frozenset({"key", "value", "noi dung", "gia tri", "chi tieu", "thong tin", "truong"})
_TOTAL_WORDS = frozenset({"tong cong", "cong", "tong", "tong so", "cong toan huyen", "tong cong toan huyen"})


def column_key(sheet: str, header: Any) -> str | None:
    """The machine key of a header cell of `sheet` (Vietnamese label with or without diacritics,
    machine key, and for tieu_chi_xa `TC1`, `tc01`, `Tiêu chí 1`, the criterion's name)."""
    if isinstance(header, str):
        return _text_column_key(sheet, header)
    return _column_key(sheet, header)


@lru_cache(maxsize=4096)
def _text_column_key(sheet: str, header: str) -> str | None:
    return _column_key(sheet, header)


def _column_key(sheet: str, header: Any) -> str | None:
    try:
        k = nz.key(header)
    except nz.NormaliseError:
        return None
    if not k:
        return None
    found = _HEADERS[sheet].get(k)
    if found is None and sheet == "tieu_chi_xa":
        if (m := _CRITERION_NO.fullmatch(k)) and 1 <= int(m[1]) <= 19:
            return f"tc{int(m[1]):02d}"
        return _CRITERION_NAMES.get(re.sub(r"^\d{1,2} ", "", k))
    return found


def cell_text(value: Any) -> str | None:
    try:
        return nz.clean_text(value)
    except nz.NormaliseError:
        return None


def find_header(grid: Grid, sheet: str) -> tuple[int, dict[int, str], dict[int, str]] | None:
    """(row index, {column index: key}, {column index: text of a cell naming no column}) of the
    row among the first HEADER_SCAN_ROWS that names the most columns (at least two distinct)."""
    best: tuple[int, dict[int, str]] | None = None
    for i, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        if best is not None and len(row) - row.count("") - row.count(None) <= len(best[1]):
            continue  # fewer filled cells than the best row names columns: the data rows under it
        known = {j: k for j, cell in enumerate(row) if (k := _header_key(sheet, cell)) is not None}
        if len(set(known.values())) >= 2 and (best is None or len(known) > len(best[1])):
            best = (i, known)
    if best is None:
        return None
    i, known = best  # the other cells' text is needed of this row only
    unknown = {j: text for j, cell in enumerate(grid.rows[i]) if j not in known and (text := cell_text(cell)) is not None}
    return i, known, unknown


def _header_key(sheet: str, cell: Any) -> str | None:
    """column_key of a cell of the rows scanned for the header; the same titles, labels and numbers
    fill those rows in every file, so keys are remembered (typed: 1, 1.0 and True stay apart)."""
    if cell is None or cell == "":
        return None
    try:
        return _cached_column_key(sheet, cell)
    except TypeError:  # an unhashable value: not a header
        return column_key(sheet, cell)


_cached_column_key = lru_cache(maxsize=8192, typed=True)(column_key)


def fill_merges(grid: Grid, header: int) -> None:
    """A value merged down over several data rows belongs to each of them."""
    for (r0, c0), (r1, c1) in grid.merges:
        if r1 <= r0 or r0 <= header or r0 >= len(grid.rows) or c0 >= len(grid.rows[r0]):
            continue
        value = grid.rows[r0][c0]
        for r in range(r0, min(r1, len(grid.rows) - 1) + 1):
            row = grid.rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if nz.is_empty(row[c]):
                    row[c] = value


def is_total(cells: dict[str, Any], identity: str) -> bool:
    if not nz.is_empty(cells.get(identity)):
        return False
    for value in cells.values():
        if isinstance(value, str):
            k = nz.key(value)
            if k in _TOTAL_WORDS or k.startswith(("tong cong ", "tong so ")):
                return True
    return False


IDENTITY = {"tieu_chi_xa": "commune_code", "tieu_chi_huyen": "criterion", "nguon_von": "unit_code",
             "ocop": "commune_code", "ho_tro": "commune_code", "kieu_mau": "commune_code", "ke_hoach": "unit_code"}
