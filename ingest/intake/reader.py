"""Read one submission (xlsx, folder of CSVs, zip of CSVs) into the normalised frames.

`read_submission(path, admin)` never raises on bad input: every problem is a `Finding` (an error
blocks the load, a warning is flagged). The frames have exactly the columns of the raw tables
(docs/architecture.md, "The normalised frames").

Steps: bound the file (size, zip entries, expansion ratio, unsafe entry names) -> load each
sheet as a grid of cell values (python-calamine for xlsx: cached values, formulas never
evaluated) -> find the header row in the first 15 rows by its column names -> skip title, blank
and total rows, fill merged-cell blanks -> normalise each column (each distinct value once) ->
administrative checks against the unit list in force on the period's last day.

The programme's rules (ingest/intake/rules.py) apply here: only xã take part (a ward, township or
special zone row is the warning `not_a_rural_commune` and is kept; `missing_communes` names
missing xã only); an empty criteria set is the set in force for the period, and a period from
2023 on naming 2016-2020 is the warning `outdated_criteria_set`; each OCOP product gets its
catalogue (`148` / `1048`) from its group's name or its decision date.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import python_calamine

from ingest.config import Settings, load_settings
from ingest.contract import CRITERIA, CRITERIA_NAMES_2021, SHEETS, THONG_TIN
from ingest.findings import Finding, has_errors
from ingest.intake import normalise as nz
from ingest.intake import rules
from ingest.intake.admin_units import AdminUnits, Unit, import_hint

HEADER_SCAN_ROWS = 15
MAX_CELL_CHARS = 4000  # no field of the contract needs more; megabyte cells are hostile
MAX_FINDINGS_PER_CHECK = 200
REFORM_LIST = "2025"

# Columns of each frame (the raw tables of ingest/store/migrations/0003_raw.sql without submission_id),
# with their dtype: "str" (object, None for missing), "date" (object), "Int64", "float", "bool",
# "extra" (dict or None).
FRAME_COLUMNS: dict[str, dict[str, str]] = {
    "thong_tin": {"province_code": "str", "submitting_unit_code": "str", "period": "date",
                  "version": "Int64", "submitted_on": "date", "prepared_by": "str",
                  "criteria_set": "str", "extra": "extra"},
    "tieu_chi_xa": {"excel_row": "Int64", "commune_code": "str", "commune_name": "str",
                    "criteria_met_reported": "Int64", "ntm_title": "str", "title_decision": "str",
                    "title_date": "date", "hardship": "str", "extra": "extra"},
    "tieu_chi_xa_mark": {"excel_row": "Int64", "commune_code": "str", "criterion_code": "str",
                         "is_met": "bool"},
    "tieu_chi_huyen": {"excel_row": "Int64", "criterion_no": "Int64", "is_met": "bool",
                       "district_title": "str", "title_decision": "str", "title_date": "date",
                       "extra": "extra"},
    "nguon_von": {"excel_row": "Int64", "unit_code": "str", "source_code": "str",
                  "capital_type": "str", "amount_mvnd": "float", "is_estimate": "bool",
                  "extra": "extra"},
    "ocop": {"excel_row": "Int64", "product_code": "str", "product_name": "str",
             "commune_code": "str", "entity_name": "str", "entity_type": "str",
             "product_group": "str", "stars": "Int64", "status": "str", "decision_no": "str",
             "decision_date": "date", "valid_until": "date", "extra": "extra", "catalogue": "str"},
    "ho_tro": {"excel_row": "Int64", "commune_code": "str", "supporting_agency": "str",
               "description": "str", "value_mvnd": "float", "extra": "extra"},
}
REQUIRED_SHEETS = ("thong_tin", "tieu_chi_xa", "nguon_von")
SHEET_NAMES = ("thong_tin", "tieu_chi_xa", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro")
IGNORED_SHEETS = frozenset({"danh_muc"})  # the template's hidden dropdown lists


# ---------------------------------------------------------------------------------------------
# the result


@dataclass
class ReadResult:
    frames: dict[str, pd.DataFrame]
    findings: list[Finding]
    file_format: str  # "xlsx" | "csv_dir" | "zip" | "unknown"
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        """The thong_tin values read so far (normalised; may be partial or empty)."""
        return dict(self.info)

    @property
    def rejected(self) -> bool:
        return has_errors(self.findings)


class _Findings:
    """Collects findings; after MAX_FINDINGS_PER_CHECK of one check, counts the rest and adds
    one summary finding at the end."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self._counts: Counter[tuple[str, str, str | None]] = Counter()

    def add(self, severity: str, check: str, vi: str, en: str, sheet: str | None = None,
            row: int | None = None, column: str | None = None, value: Any = None) -> None:
        n = self._counts[(severity, check, sheet)]
        self._counts[(severity, check, sheet)] += 1
        if n < MAX_FINDINGS_PER_CHECK:
            shown = None if value is None else _show(value)
            self.items.append(Finding(severity, check, vi, en, sheet, row, column, shown))

    def done(self) -> list[Finding]:
        out = list(self.items)
        for (severity, check, sheet), n in self._counts.items():
            if n > MAX_FINDINGS_PER_CHECK:
                more = n - MAX_FINDINGS_PER_CHECK
                out.append(Finding(severity, check, f"... và {more} lỗi cùng loại khác trong trang {sheet}",
                                   f"... and {more} more of the same in sheet {sheet}", sheet))
        return out


def _show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------------------------------------
# loading: file -> grids of cell values


@dataclass
class _Grid:
    """One sheet as rows of cell values; `row_numbers[i]` is the number Excel (or the CSV line
    count) gives row i; `merges` are calamine's merged ranges ((r0, c0), (r1, c1)), 0-based."""

    name: str
    rows: list[list[Any]]
    row_numbers: list[int]
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def _sheet_key(name: str) -> str:
    return nz.key(name).replace(" ", "_")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _unreadable(f: _Findings, vi: str, en: str) -> None:
    f.add("error", "file_unreadable", vi, en)


def _load(path: Path, settings: Settings, f: _Findings) -> tuple[str, list[_Grid]]:
    if path.is_dir():
        return "csv_dir", _load_csv_dir(path, settings, f)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        _unreadable(f, f"Không đọc được tệp: {exc.strerror or exc}", f"cannot read the file: {exc.strerror or exc}")
        return "unknown", []
    if size > settings.max_file_bytes:
        mb = settings.max_file_bytes / 1024 / 1024
        f.add("error", "file_too_large", f"Tệp {size:,} byte vượt giới hạn {mb:g} MB",
              f"the file has {size:,} bytes, over the {mb:g} MB limit", value=size)
        return "unknown", []
    if head.startswith(_OLE_MAGIC):
        _unreadable(f, "Tệp là bảng tính Excel cũ (.xls) hoặc đặt mật khẩu; hãy lưu lại dạng .xlsx không mật khẩu",
                    "the file is an old Excel .xls or a password-protected workbook; save it as .xlsx without a password")
        return "unknown", []
    if not head.startswith(_ZIP_MAGIC):
        _unreadable(f, "Tệp không phải bảng tính .xlsx hay tệp .zip các CSV (nội dung không đúng định dạng)",
                    "the file is not an .xlsx workbook nor a .zip of CSV files (its content is not in either format)")
        return "unknown", []
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            if "xl/workbook.xml" in names:
                if not _zip_ratio_ok(entries, size, settings, f):
                    return "xlsx", []
                return "xlsx", _load_xlsx(path, settings, f)
            return "zip", _load_csv_zip(archive, entries, size, settings, f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        _unreadable(f, f"Tệp nén bị hỏng hoặc không đọc được ({exc})", f"the archive is damaged or unreadable ({exc})")
        return "unknown", []


def _zip_ratio_ok(entries: list[zipfile.ZipInfo], size: int, settings: Settings, f: _Findings) -> bool:
    total = sum(e.file_size for e in entries)
    worst = max(entries, key=lambda e: e.file_size / max(e.compress_size, 1), default=None)
    ratio = total / max(size, 1)
    entry_ratio = worst.file_size / max(worst.compress_size, 1) if worst else 0
    if ratio > settings.max_zip_ratio or entry_ratio > settings.max_zip_ratio:
        f.add("error", "zip_bomb",
              f"Tệp nén giải nén ra quá lớn (tỉ lệ {max(ratio, entry_ratio):.0f}:1, giới hạn {settings.max_zip_ratio}:1)",
              f"the archive expands too much (ratio {max(ratio, entry_ratio):.0f}:1, limit {settings.max_zip_ratio}:1)",
              value=worst.filename if worst else None)
        return False
    return True


def _unsafe_entry(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in parts:
        return "path traversal"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    if "\x00" in name:
        return "NUL in name"
    return None


def _load_csv_zip(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], size: int, settings: Settings,
                  f: _Findings) -> list[_Grid]:
    files = [e for e in entries if not e.is_dir()]
    if len(files) > settings.max_zip_entries:
        f.add("error", "zip_too_many_entries",
              f"Tệp nén có {len(files)} tệp, vượt giới hạn {settings.max_zip_entries}",
              f"the archive holds {len(files)} files, over the limit of {settings.max_zip_entries}", value=len(files))
        return []
    unsafe = [(e, why) for e in entries if (why := _unsafe_entry(e))]
    for entry, why in unsafe:
        f.add("error", "unsafe_zip_entry", f"Tệp nén chứa mục không an toàn '{entry.filename}' ({why})",
              f"the archive holds an unsafe entry {entry.filename!r} ({why})", value=entry.filename)
    if unsafe or not _zip_ratio_ok(files, size, settings, f):
        return []
    total = sum(e.file_size for e in files)
    if total > settings.max_file_bytes:
        f.add("error", "file_too_large", f"Nội dung giải nén {total:,} byte vượt giới hạn",
              f"the archive expands to {total:,} bytes, over the limit", value=total)
        return []
    grids = []
    for entry in files:
        name = PurePosixPath(entry.filename.replace("\\", "/")).name
        if name.startswith(".") or "__MACOSX" in entry.filename:
            continue
        if not name.lower().endswith(".csv"):
            f.add("warning", "unknown_sheet", f"Bỏ qua tệp '{entry.filename}' (không phải .csv)",
                  f"ignored {entry.filename!r} (not a .csv file)", value=entry.filename)
            continue
        grid = _csv_grid(name[:-4], archive.read(entry), settings, f)
        if grid is not None:
            grids.append(grid)
    return grids


def _load_csv_dir(folder: Path, settings: Settings, f: _Findings) -> list[_Grid]:
    try:
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        _unreadable(f, f"Không đọc được thư mục: {exc}", f"cannot read the folder: {exc}")
        return []
    if len(files) > settings.max_zip_entries:
        f.add("error", "zip_too_many_entries", f"Thư mục có {len(files)} tệp, vượt giới hạn {settings.max_zip_entries}",
              f"the folder holds {len(files)} files, over the limit of {settings.max_zip_entries}", value=len(files))
        return []
    links = [p for p in files if p.is_symlink() or not p.is_file()]
    for p in links:
        f.add("error", "unsafe_zip_entry", f"Thư mục chứa liên kết hoặc thư mục con '{p.name}'",
              f"the folder holds a link or subfolder {p.name!r}", value=p.name)
    if links:
        return []
    total = sum(p.stat().st_size for p in files)
    if total > settings.max_file_bytes:
        f.add("error", "file_too_large", f"Thư mục {total:,} byte vượt giới hạn", f"the folder has {total:,} bytes, over the limit",
              value=total)
        return []
    grids = []
    for p in files:
        if p.suffix.lower() != ".csv":
            f.add("warning", "unknown_sheet", f"Bỏ qua tệp '{p.name}' (không phải .csv)", f"ignored {p.name!r} (not a .csv file)",
                  value=p.name)
            continue
        grid = _csv_grid(p.stem, p.read_bytes(), settings, f)
        if grid is not None:
            grids.append(grid)
    return grids


def _csv_grid(name: str, data: bytes, settings: Settings, f: _Findings) -> _Grid | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        f.add("error", "file_unreadable", f"Tệp {name}.csv không phải mã UTF-8 (byte {exc.start})",
              f"{name}.csv is not UTF-8 (byte {exc.start})", sheet=_sheet_key(name))
        return None
    rows: list[list[Any]] = []
    numbers: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    limit = settings.max_rows + HEADER_SCAN_ROWS
    try:
        line = 0
        for record in reader:
            rows.append(record)
            numbers.append(line + 1)
            line = reader.line_num
            if len(rows) > limit:
                _too_many_rows(f, _sheet_key(name), settings)
                return None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            f.add("error", "cell_too_long", f"Một ô ở dòng {reader.line_num} quá dài (tối đa {MAX_CELL_CHARS:,} ký tự)",
                  f"a cell on line {reader.line_num} is too long (at most {MAX_CELL_CHARS:,} characters)",
                  _sheet_key(name), reader.line_num)
            return None
        f.add("error", "file_unreadable", f"Tệp {name}.csv hỏng ở dòng {reader.line_num}: {exc}",
              f"{name}.csv is malformed at line {reader.line_num}: {exc}", sheet=_sheet_key(name))
        return None
    return _Grid(name, rows, numbers)


def _too_many_rows(f: _Findings, sheet: str, settings: Settings) -> None:
    f.add("error", "too_many_rows", f"Trang {sheet} có quá {settings.max_rows:,} dòng",
          f"sheet {sheet} has more than {settings.max_rows:,} rows", sheet=sheet)


def _load_xlsx(path: Path, settings: Settings, f: _Findings) -> list[_Grid]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        _unreadable(f, "Bảng tính đặt mật khẩu; hãy gửi bản không mật khẩu",
                    "the workbook is password-protected; send it without a password")
        return []
    except Exception as exc:  # calamine raises several types for damaged packages
        _unreadable(f, f"Bảng tính bị hỏng, không đọc được ({exc})", f"the workbook is damaged and cannot be read ({exc})")
        return []
    grids = []
    try:
        for meta in workbook.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet_key = _sheet_key(meta.name)
            if sheet_key not in SHEET_NAMES:
                if meta.visible == python_calamine.SheetVisibleEnum.Visible and sheet_key not in IGNORED_SHEETS:
                    grids.append(_Grid(meta.name, [], []))  # reported as an unknown sheet later
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            if sheet.total_height > settings.max_rows + HEADER_SCAN_ROWS:
                _too_many_rows(f, sheet_key, settings)
                continue
            rows = sheet.to_python(skip_empty_area=False)
            grids.append(_Grid(meta.name, rows, list(range(1, len(rows) + 1)), list(sheet.merged_cell_ranges or [])))
    except Exception as exc:
        _unreadable(f, f"Bảng tính bị hỏng, không đọc được ({exc})", f"the workbook is damaged and cannot be read ({exc})")
        return []
    finally:
        workbook.close()
    return grids


# ---------------------------------------------------------------------------------------------
# columns: header names -> machine keys, and how each column is normalised


@dataclass(frozen=True)
class _Col:
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

COLUMNS: dict[str, dict[str, _Col]] = {
    "tieu_chi_xa": {
        "commune_code": _Col(_COMMUNE, "bad_code", required=True),
        "commune_name": _Col(nz.clean_text, "bad_value"),
        **{tc: _Col(nz.mark, "bad_mark", required=True) for tc in CRITERIA},
        "criteria_met": _Col(nz.integer, "bad_number", output="criteria_met_reported"),
        "ntm_title": _Col(nz.title, "bad_value"),
        "title_decision": _Col(nz.clean_text, "bad_value"),
        "title_date": _Col(nz.date_value, "bad_date"),
        "hardship": _Col(nz.hardship, "bad_value"),
    },
    "tieu_chi_huyen": {
        "criterion": _Col(nz.integer, "bad_number", required=True, value_required=True, output="criterion_no"),
        "met": _Col(nz.mark, "bad_mark", required=True, output="is_met"),
        "district_title": _Col(_optional_title, "bad_value"),
        "title_decision": _Col(nz.clean_text, "bad_value"),
        "title_date": _Col(nz.date_value, "bad_date"),
    },
    "nguon_von": {
        "unit_code": _Col(_UNIT, "bad_code", required=True, value_required=True),
        "source": _Col(nz.funding_source, "bad_value", required=True, value_required=True, output="source_code"),
        "capital_type": _Col(nz.capital_type, "bad_value"),
        "amount_mvnd": _Col(nz.number, "bad_number", required=True, value_required=True),
        "is_estimate": _Col(nz.estimate_mark, "bad_mark"),
    },
    "ocop": {
        "product_code": _Col(nz.clean_text, "bad_value"),
        "product_name": _Col(nz.clean_text, "bad_value", required=True, value_required=True),
        "commune_code": _Col(_COMMUNE, "bad_code", required=True, value_required=True),
        "entity_name": _Col(nz.clean_text, "bad_value"),
        "entity_type": _Col(nz.entity_type, "bad_value"),
        # (group, catalogue named): split into product_group and catalogue by _ocop_catalogue
        "product_group": _Col(nz.ocop_group_named, "bad_value", required=True, value_required=True),
        "stars": _Col(nz.integer, "bad_number"),
        "status": _Col(nz.ocop_status, "bad_value", required=True, value_required=True),
        "decision_no": _Col(nz.clean_text, "bad_value"),
        "decision_date": _Col(nz.date_value, "bad_date"),
        "valid_until": _Col(nz.date_value, "bad_date"),
    },
    "ho_tro": {
        "commune_code": _Col(_COMMUNE, "bad_code", required=True, value_required=True),
        "supporting_agency": _Col(nz.clean_text, "bad_value", required=True, value_required=True),
        "description": _Col(nz.clean_text, "bad_value"),
        "value_mvnd": _Col(nz.number, "bad_number", required=True, value_required=True),
    },
}
# Defaults when an optional column is absent (else None).
_ABSENT = {"ntm_title": "none", "capital_type": "all", "is_estimate": False}

INFO: dict[str, _Col] = {
    "province_code": _Col(_code((2,)), "bad_code", required=True),
    "submitting_unit_code": _Col(_UNIT, "bad_code", required=True),
    "period": _Col(nz.period, "bad_period", required=True),
    "version": _Col(_positive_int, "bad_number", required=True),
    "submitted_on": _Col(nz.date_value, "bad_date"),
    "prepared_by": _Col(nz.clean_text, "bad_value"),
    "criteria_set": _Col(nz.criteria_set, "bad_value"),
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
_CRITERION_NAMES = {nz.key(n): tc for n, tc in zip(CRITERIA_NAMES_2021, CRITERIA, strict=True)}
_CRITERION_NAMES.update({nz.key(n): tc for n, tc in (
    ("Thủy lợi", "tc03"), ("Hộ nghèo", "tc11"), ("Lao động có việc làm", "tc12"), ("Tổ chức sản xuất", "tc13"))})
_CRITERION_NO = re.compile(r"(?:tc|tieu chi)(?: so)? ?0*(\d{1,2})(?: .*)?")
_INFO_KEYS: dict[str, str] = {}
for _k in INFO:
    for _name in (_k, THONG_TIN[_k], *_INFO_ALIASES.get(_k, [])):
        _INFO_KEYS.setdefault(nz.key(_name), _k)
_INFO_HEADER_WORDS = frozenset({"key", "value", "noi dung", "gia tri", "chi tieu", "thong tin", "truong"})
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


# ---------------------------------------------------------------------------------------------
# sheets -> normalised columns


@dataclass
class _Table:
    """A sheet's data rows, normalised column by column (lists aligned with `rows`)."""

    rows: list[int]
    values: dict[str, list[Any]]
    extra: list[dict[str, Any] | None]
    present: set[str]


def _cell_text(value: Any) -> str | None:
    try:
        return nz.clean_text(value)
    except nz.NormaliseError:
        return None


def _find_header(grid: _Grid, sheet: str) -> tuple[int, dict[int, str], dict[int, str]] | None:
    best: tuple[int, dict[int, str], dict[int, str]] | None = None
    for i, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        known: dict[int, str] = {}
        unknown: dict[int, str] = {}
        for j, cell in enumerate(row):
            k = column_key(sheet, cell)
            if k is not None:
                known[j] = k
            elif (text := _cell_text(cell)) is not None:
                unknown[j] = text
        if len(set(known.values())) >= 2 and (best is None or len(known) > len(best[1])):
            best = (i, known, unknown)
    return best


def _fill_merges(grid: _Grid, header: int) -> None:
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


def _is_total(cells: dict[str, Any], identity: str) -> bool:
    if not nz.is_empty(cells.get(identity)):
        return False
    for value in cells.values():
        if isinstance(value, str):
            k = nz.key(value)
            if k in _TOTAL_WORDS or k.startswith(("tong cong ", "tong so ")):
                return True
    return False


_IDENTITY = {"tieu_chi_xa": "commune_code", "tieu_chi_huyen": "criterion", "nguon_von": "unit_code",
             "ocop": "commune_code", "ho_tro": "commune_code"}


def _read_table(grid: _Grid, sheet: str, settings: Settings, f: _Findings) -> _Table | None:
    found = _find_header(grid, sheet)
    if found is None:
        f.add("error", "missing_column",
              f"Không tìm thấy dòng tiêu đề cột của trang {sheet} trong {HEADER_SCAN_ROWS} dòng đầu",
              f"no header row with the column names of sheet {sheet} in its first {HEADER_SCAN_ROWS} rows", sheet=sheet)
        return None
    header, known, unknown = found
    columns = COLUMNS[sheet]
    seen: dict[str, int] = {}
    ok = True
    for j, k in known.items():
        if k in seen:
            f.add("error", "duplicate_column", f"Cột {k} xuất hiện hai lần trong trang {sheet}",
                  f"column {k} appears twice in sheet {sheet}", sheet=sheet, row=grid.row_numbers[header], column=k)
            ok = False
        seen.setdefault(k, j)
    for k, col in columns.items():
        if col.required and k not in seen:
            f.add("error", "missing_column", f"Trang {sheet} thiếu cột bắt buộc {k}",
                  f"sheet {sheet} lacks the required column {k}", sheet=sheet, row=grid.row_numbers[header], column=k)
            ok = False
    for label in unknown.values():
        f.add("warning", "unknown_column", f"Cột lạ '{label}' trong trang {sheet}: được giữ lại trong extra",
              f"unknown column {label!r} in sheet {sheet}: kept in extra", sheet=sheet,
              row=grid.row_numbers[header], value=label)
    if not ok:
        return None
    _fill_merges(grid, header)
    identity = _IDENTITY[sheet]
    rows: list[int] = []
    raw: dict[str, list[Any]] = {k: [] for k in seen}
    extra: list[dict[str, Any] | None] = []
    for i in range(header + 1, len(grid.rows)):
        row = grid.rows[i]
        cells = {k: (row[j] if j < len(row) else None) for k, j in seen.items()}
        other = {label: row[j] for j, label in unknown.items() if j < len(row) and not nz.is_empty(row[j])}
        if all(nz.is_empty(v) for v in cells.values()) or _is_total(cells, identity):
            continue
        rows.append(grid.row_numbers[i])
        if len(rows) > settings.max_rows:
            _too_many_rows(f, sheet, settings)
            return None
        for k, v in cells.items():
            raw[k].append(v)
        extra.append({label: _jsonable(v) for label, v in other.items()} or None)
    values = {k: _normalise_column(sheet, k, columns[k], raw[k], rows, f) for k in raw}
    return _Table(rows, values, extra, set(seen))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return value if not isinstance(value, float) or np.isfinite(value) else None
    return _cell_text(value)


def _normalise_column(sheet: str, k: str, col: _Col, values: list[Any], rows: list[int], f: _Findings) -> list[Any]:
    """Normalise each distinct value once; every failure is a finding naming sheet, row, column."""
    cache: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    for value, row in zip(values, rows, strict=True):
        if isinstance(value, str):
            value = value if value.strip() else None
        cache_key = (type(value), value)
        try:
            result = cache[cache_key]
        except KeyError:
            try:
                result = col.normalise(value)
            except nz.NormaliseError as exc:
                result = exc
            except TypeError:  # unhashable or unexpected cell type
                result = nz.NormaliseError(f"Giá trị không đọc được: {value!r}", f"unreadable value: {value!r}")
            cache[cache_key] = result
        if isinstance(result, nz.NormaliseError):
            f.add("error", col.check, f"Trang {sheet}, dòng {row}, cột {k}: {result.message_vi}",
                  f"sheet {sheet}, row {row}, column {k}: {result.message_en}", sheet, row, k, value)
            result = None
        elif result is None and col.value_required:
            f.add("error", "missing_value", f"Trang {sheet}, dòng {row}: thiếu giá trị ở cột {k}",
                  f"sheet {sheet}, row {row}: column {k} is empty", sheet, row, k)
        out.append(result)
    return out


def _read_info(grid: _Grid, f: _Findings) -> tuple[dict[str, Any], dict[str, int], dict[str, Any] | None]:
    """thong_tin: key/value rows (keys by machine key or Vietnamese label); title rows skipped."""
    raw: dict[str, Any] = {}
    where: dict[str, int] = {}
    extra: dict[str, Any] = {}
    for row, number in zip(grid.rows, grid.row_numbers, strict=True):
        cells = [v for v in row if not nz.is_empty(v)]
        if not cells:
            continue
        hit = next(((i, _INFO_KEYS.get(nz.key(v))) for i, v in enumerate(cells[:3])
                    if isinstance(v, str) and _INFO_KEYS.get(nz.key(v))), None)
        if hit is None:
            label = _cell_text(cells[0])
            if len(cells) < 2 or label is None or nz.key(label) in _INFO_HEADER_WORDS:
                continue  # a title row or the header row
            extra[label] = _jsonable(cells[1])
            f.add("warning", "unknown_key", f"Trang thong_tin: mục lạ '{label}' được giữ lại trong extra",
                  f"sheet thong_tin: unknown item {label!r} kept in extra", "thong_tin", number, value=label)
            continue
        i, k = hit
        value = cells[i + 1] if i + 1 < len(cells) else None
        if k in raw and raw[k] != value:
            f.add("error", "duplicate_key", f"Trang thong_tin: mục {k} được ghi hai lần với giá trị khác nhau",
                  f"sheet thong_tin: {k} is given twice with different values", "thong_tin", number, k, value)
            continue
        raw[k] = value
        where[k] = number
    info: dict[str, Any] = {}
    for k, col in INFO.items():
        value = raw.get(k)
        row = where.get(k)
        try:
            result = col.normalise(value)
        except nz.NormaliseError as exc:
            if value is None or nz.is_empty(value):
                f.add("error", "missing_value", f"Trang thong_tin thiếu mục bắt buộc {k} ({THONG_TIN[k]})",
                      f"sheet thong_tin lacks the required item {k} ({THONG_TIN[k]})", "thong_tin", row, k)
            else:
                f.add("error", col.check, f"Trang thong_tin, mục {k}: {exc.message_vi}",
                      f"sheet thong_tin, item {k}: {exc.message_en}", "thong_tin", row, k, value)
            continue
        if result is None and col.required:
            f.add("error", "missing_value", f"Trang thong_tin thiếu mục bắt buộc {k} ({THONG_TIN[k]})",
                  f"sheet thong_tin lacks the required item {k} ({THONG_TIN[k]})", "thong_tin", row, k)
            continue
        info[k] = result
    return info, where, extra or None


# ---------------------------------------------------------------------------------------------
# frames


def _column(values: list[Any], kind: str) -> Any:
    if kind == "Int64":
        return pd.array(values, dtype="Int64")
    if kind == "float":
        return np.fromiter((np.nan if v is None else v for v in values), dtype="float64", count=len(values))
    if kind == "bool":
        return np.fromiter(values, dtype=bool, count=len(values))
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Series(out, dtype=object, copy=False)  # a bare object array would be inferred as str


def _frame(name: str, data: dict[str, list[Any]], n: int) -> pd.DataFrame:
    spec = FRAME_COLUMNS[name]
    return pd.DataFrame({c: _column(data[c] if c in data else [None] * n, kind) for c, kind in spec.items()},
                        index=pd.RangeIndex(n), copy=False)


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(name: str) -> pd.DataFrame:
    """A frame of `name` with no rows and the contract's columns and dtypes."""
    if name not in _EMPTY:
        _EMPTY[name] = _frame(name, {}, 0)
    return _EMPTY[name].copy()


def _table_frame(sheet: str, table: _Table) -> pd.DataFrame:
    n = len(table.rows)
    data: dict[str, list[Any]] = {"excel_row": table.rows, "extra": table.extra}
    for k, col in COLUMNS[sheet].items():
        out = col.output or k
        if k in table.values:
            values = table.values[k]
            if k in _ABSENT:
                values = [_ABSENT[k] if v is None else v for v in values]
            data[out] = values
        else:
            data[out] = [_ABSENT.get(k)] * n
    if sheet == "ocop":
        _ocop_catalogue(data)
    return _frame(sheet, data, n)


def _ocop_catalogue(data: dict[str, list[Any]]) -> None:
    """`product_group` holds (group, catalogue named by the group's name or None): keep the
    group, and give each product its catalogue (ingest.intake.rules.ocop_catalogue)."""
    named = data["product_group"]
    data["product_group"] = [None if g is None else g[0] for g in named]
    data["catalogue"] = [None if g is None else rules.ocop_catalogue(g[1], decided, status)
                         for g, decided, status in zip(named, data["decision_date"], data["status"], strict=True)]


def _marks_frame(xa: pd.DataFrame, table: _Table) -> pd.DataFrame:
    n = len(xa)
    marks = np.array([[bool(v) for v in table.values[tc]] for tc in CRITERIA], dtype=bool).T.reshape(-1) \
        if n else np.zeros(0, dtype=bool)
    return pd.DataFrame({
        "excel_row": pd.array(np.repeat(xa["excel_row"].to_numpy(dtype="int64"), len(CRITERIA)), dtype="Int64"),
        "commune_code": pd.Series(np.repeat(xa["commune_code"].to_numpy(dtype=object), len(CRITERIA)), dtype=object),
        "criterion_code": pd.Series(np.tile(np.array(CRITERIA, dtype=object), n), dtype=object),
        "is_met": marks,
    })


def _criteria_set(info: dict[str, Any], where: dict[str, int], f: _Findings) -> None:
    """An empty criteria set is the set in force for the period; a period from 2023 on that names
    the 2016-2020 set is assessed against an outdated set (a warning: it loads, auditors see it)."""
    period = info.get("period")
    if period is None:
        return
    named = info.get("criteria_set")
    if named is None:
        info["criteria_set"] = rules.criteria_set_in_force(period)
    elif rules.is_outdated_criteria_set(named, period):
        current = rules.criteria_set_in_force(period)
        f.add("warning", "outdated_criteria_set",
              f"Kỳ {period:%m/%Y} được đánh giá theo bộ tiêu chí {named} đã hết hiệu lực; từ tháng "
              f"{rules.CRITERIA_SET_2021_FROM:%m/%Y} áp dụng bộ tiêu chí {current} (Quyết định 318/QĐ-TTg)",
              f"the period {period:%Y-%m} is assessed against the outdated {named} criteria set; the {current} "
              f"set (Decision 318/QĐ-TTg) is in force since {rules.CRITERIA_SET_2021_FROM:%Y-%m}",
              "thong_tin", where.get("criteria_set"), "criteria_set", named)


# ---------------------------------------------------------------------------------------------
# administrative checks


def _last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _check_admin(info: dict[str, Any], frames: dict[str, pd.DataFrame], admin: AdminUnits,
                 has_district_sheet: bool, f: _Findings) -> None:
    unit_code, period = info.get("submitting_unit_code"), info.get("period")
    if unit_code is None or period is None:
        return
    on = _last_day(period)
    list_name = admin.list_for(on)
    unit = admin.unit(unit_code, on)
    if unit is None:
        hint_vi, hint_en = import_hint(on)
        f.add("error", "unknown_unit",
              f"Mã đơn vị báo cáo {unit_code} không có trong danh mục hành chính áp dụng ngày {on:%d/%m/%Y}{hint_vi}",
              f"submitting unit {unit_code} is not in the administrative list in force on {on}{hint_en}",
              "thong_tin", None, "submitting_unit_code", unit_code)
        return
    expected = ("district",) if list_name != REFORM_LIST else ("province", "commune")
    if unit.level not in expected:
        f.add("error", "wrong_unit_level",
              f"Đơn vị {unit_code} ({unit.name}) là cấp {unit.level}; kỳ {period:%m/%Y} đơn vị báo cáo phải là "
              f"{' hoặc '.join(expected)}",
              f"unit {unit_code} ({unit.name}) is a {unit.level}; for {period:%Y-%m} the submitting unit must be a "
              f"{' or '.join(expected)}", "thong_tin", None, "submitting_unit_code", unit_code)
        return
    province = info.get("province_code")
    if province is not None and province != unit.province_code:
        f.add("error", "province_mismatch",
              f"Mã tỉnh {province} không khớp: đơn vị {unit_code} thuộc tỉnh {unit.province_code}",
              f"province code {province} does not match: unit {unit_code} belongs to province {unit.province_code}",
              "thong_tin", None, "province_code", province)
    if period.month == 12 and unit.level == "district" and not has_district_sheet:
        f.add("error", "missing_sheet", "Báo cáo tháng 12 phải có trang tieu_chi_huyen (tiêu chí huyện)",
              "a December submission must include the tieu_chi_huyen sheet (district criteria)", "tieu_chi_huyen")
    units = {u.code: u for u in admin.communes_of(unit.code, on)}
    communes = set(units)
    rural = {code for code, u in units.items() if rules.is_rural_commune(u)}
    xa = frames["tieu_chi_xa"]
    codes = xa["commune_code"].tolist()
    rows = xa["excel_row"].tolist()
    seen: set[str] = set()
    for i, (code, name, row) in enumerate(zip(codes, xa["commune_name"].tolist(), rows, strict=True)):
        if code is None:
            code = codes[i] = _resolve_by_name(name, unit.code, on, admin, row, f)
        elif code not in communes:
            _unknown_commune(f, "tieu_chi_xa", row, "commune_code", code, unit.code, unit.name, on, admin)
        if code in communes and code not in rural:
            _not_rural(f, row, units[code], unit.code, unit.name)
        if code is not None and code in seen:
            f.add("error", "duplicate_commune", f"Xã {code} được báo cáo hai lần (dòng {row})",
                  f"commune {code} is reported twice (row {row})", "tieu_chi_xa", row, "commune_code", code)
        seen.add(code)
    xa["commune_code"] = _column(codes, "str").set_axis(xa.index)
    missing = sorted(rural - seen)  # only xã take part: a district's wards are never missing
    if missing and codes:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        f.add("warning", "missing_communes",
              f"{len(missing)} xã của đơn vị {unit_code} không có trong tieu_chi_xa: {shown}",
              f"{len(missing)} rural communes (xã) of unit {unit_code} are missing from tieu_chi_xa: {shown}",
              "tieu_chi_xa", None, "commune_code", shown)
    for sheet, column, allowed in (("nguon_von", "unit_code", communes | {unit.code}),
                                   ("ocop", "commune_code", communes), ("ho_tro", "commune_code", communes)):
        frame = frames[sheet]
        for row, code in zip(frame["excel_row"].tolist(), frame[column].tolist(), strict=True):
            if code is not None and code not in allowed:
                _unknown_commune(f, sheet, row, column, code, unit.code, unit.name, on, admin)


def _not_rural(f: _Findings, row: int, commune: Unit, unit_code: str, unit_name: str) -> None:
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


def _unknown_commune(f: _Findings, sheet: str, row: int, column: str, code: str, unit_code: str, unit_name: str,
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
                     f: _Findings) -> str | None:
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


def _check_duplicates(frames: dict[str, pd.DataFrame], f: _Findings) -> None:
    """Rows that would collide on the raw table's primary key (communes: in _check_admin)."""
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


# ---------------------------------------------------------------------------------------------
# entry point


def read_submission(path: Path, admin: AdminUnits, settings: Settings | None = None) -> ReadResult:
    """Read and normalise one submission; never raises on bad input (every failure is a finding)."""
    settings = settings or load_settings()
    f = _Findings()
    file_format = "unknown"
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, Any] = {}
    try:
        file_format, grids = _load(Path(path), settings, f)
        if has_errors(f.items):
            return ReadResult({}, f.done(), file_format, {})
        info, frames = _read_grids(grids, admin, settings, f)
    except Exception as exc:  # a bug must not lose the file: it becomes a finding
        f.add("error", "reader_error", f"Lỗi nội bộ khi đọc tệp: {exc!r}", f"internal error while reading: {exc!r}")
    return ReadResult(frames, f.done(), file_format, info)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _check_cell_sizes(grids: list[_Grid], f: _Findings) -> None:
    """Reject cells longer than any field of the contract could need (and drop their text)."""
    for grid in grids:
        for i, row in enumerate(grid.rows):
            for j, value in enumerate(row):
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    f.add("error", "cell_too_long",
                          f"Ô {_column_letter(j)}{grid.row_numbers[i]} dài {len(value):,} ký tự (tối đa {MAX_CELL_CHARS:,})",
                          f"cell {_column_letter(j)}{grid.row_numbers[i]} holds {len(value):,} characters "
                          f"(at most {MAX_CELL_CHARS:,})",
                          _sheet_key(grid.name), grid.row_numbers[i], _column_letter(j), value[:50] + "...")
                    row[j] = None


def _read_grids(grids: list[_Grid], admin: AdminUnits, settings: Settings,
                f: _Findings) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    _check_cell_sizes(grids, f)
    by_sheet: dict[str, _Grid] = {}
    for grid in grids:
        k = _sheet_key(grid.name)
        if k not in SHEET_NAMES:
            f.add("warning", "unknown_sheet", f"Bỏ qua trang lạ '{grid.name}'", f"ignored unknown sheet {grid.name!r}",
                  value=grid.name)
        elif k in by_sheet:
            f.add("error", "duplicate_sheet", f"Trang {k} xuất hiện hai lần", f"sheet {k} appears twice", k)
        else:
            by_sheet[k] = grid
    for sheet in REQUIRED_SHEETS:
        if sheet not in by_sheet:
            f.add("error", "missing_sheet", f"Thiếu trang bắt buộc {sheet}", f"the required sheet {sheet} is missing", sheet)
    info: dict[str, Any] = {}
    frames = {name: empty_frame(name) for name in FRAME_COLUMNS}
    if "thong_tin" in by_sheet:
        info, where, extra = _read_info(by_sheet["thong_tin"], f)
        _criteria_set(info, where, f)
        if all(k in info for k, col in INFO.items() if col.required):
            frames["thong_tin"] = _frame("thong_tin", {**{k: [v] for k, v in info.items()}, "extra": [extra]}, 1)
    tables: dict[str, _Table] = {}
    for sheet in COLUMNS:
        if sheet in by_sheet:
            table = _read_table(by_sheet[sheet], sheet, settings, f)
            if table is not None:
                tables[sheet] = table
                frames[sheet] = _table_frame(sheet, table)
    if "tieu_chi_xa" in tables and not tables["tieu_chi_xa"].rows:
        f.add("error", "empty_sheet", "Trang tieu_chi_xa không có dòng dữ liệu nào", "sheet tieu_chi_xa has no data rows",
              "tieu_chi_xa")
    _check_admin(info, frames, admin, "tieu_chi_huyen" in by_sheet, f)
    _check_duplicates(frames, f)
    if "tieu_chi_xa" in tables:
        frames["tieu_chi_xa_mark"] = _marks_frame(frames["tieu_chi_xa"], tables["tieu_chi_xa"])
    return info, frames
