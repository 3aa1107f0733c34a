"""File formats and their safety: an xlsx workbook, a folder of CSVs or a zip of CSVs becomes
grids of cell values, one per sheet, after bounding the file (size, zip entries, expansion
ratio, unsafe entry names, rows, cell lengths). python-calamine reads workbooks (cached values:
formulas are never evaluated)."""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import python_calamine

from ingest.config import Settings
from ingest.contract import IGNORED_SHEETS, SHEET_NAMES
from ingest.intake import normalise as nz
from ingest.intake import sniff
from ingest.intake.collect import Collector
from ingest.intake.filecheck import kind_of

HEADER_SCAN_ROWS = 15  # the header row is looked for in a sheet's first rows
MAX_CELL_CHARS = 4000  # no field of the contract needs more; megabyte cells are hostile


@dataclass
class Grid:
    """One sheet as rows of cell values; `row_numbers[i]` is the number Excel (or the CSV line
    count) gives row i; `merges` are calamine's merged ranges ((r0, c0), (r1, c1)), 0-based."""

    name: str
    rows: list[list[Any]]
    row_numbers: list[int]
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def sheet_key(name: str) -> str:
    return nz.key(name).replace(" ", "_")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _unreadable(f: Collector, vi: str, en: str) -> None:
    f.add("error", "file_unreadable", vi, en)


def load(path: Path, settings: Settings, f: Collector) -> tuple[str, list[Grid]]:
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
    if head.startswith(_OLE_MAGIC) and sniff.ole_format(path):
        sniff.wrong_format(f, "xls")
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
            if not _members_safe(entries, f):
                return "unknown", []
            if detected := sniff.zip_format(archive, names):
                sniff.wrong_format(f, detected)
                return "unknown", []
            if "xl/workbook.xml" in names:
                if not _zip_ratio_ok(entries, size, settings, f):
                    return "xlsx", []
                return "xlsx", _load_xlsx(path, settings, f)
            return "zip", _load_csv_zip(archive, entries, size, settings, f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        _unreadable(f, f"Tệp nén bị hỏng hoặc không đọc được ({exc})", f"the archive is damaged or unreadable ({exc})")
        return "unknown", []


def _zip_ratio_ok(entries: list[zipfile.ZipInfo], size: int, settings: Settings, f: Collector) -> bool:
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


def _members_safe(entries: list[zipfile.ZipInfo], f: Collector) -> bool:
    """No entry of a zip (a workbook or a zip of CSVs) is a link, a device, a pipe or a socket."""
    ok = True
    for entry in entries:
        if kind := sniff.member_kind(entry):
            f.add("error", "unsafe_file", f"Tệp nén chứa mục '{entry.filename}' là {kind[0]}, không phải tệp thông thường",
                  f"the archive holds {entry.filename!r}, which is {kind[1]}, not a regular file", value=entry.filename)
            ok = False
    return ok


def _unsafe_entry(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in parts:
        return "path traversal"
    if "\x00" in name:
        return "NUL in name"
    return None


def _load_csv_zip(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], size: int, settings: Settings,
                  f: Collector) -> list[Grid]:
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


def _load_csv_dir(folder: Path, settings: Settings, f: Collector) -> list[Grid]:
    try:
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        _unreadable(f, f"Không đọc được thư mục: {exc}", f"cannot read the folder: {exc}")
        return []
    if len(files) > settings.max_zip_entries:
        f.add("error", "zip_too_many_entries", f"Thư mục có {len(files)} tệp, vượt giới hạn {settings.max_zip_entries}",
              f"the folder holds {len(files)} files, over the limit of {settings.max_zip_entries}", value=len(files))
        return []
    links = [(p, kind_of(p.lstat().st_mode) or ("thư mục con", "a subfolder")) for p in files
             if not stat.S_ISREG(p.lstat().st_mode)]
    for p, (vi, en) in links:
        f.add("error", "unsafe_file", f"Thư mục chứa '{p.name}' là {vi}, không phải tệp thông thường",
              f"the folder holds {p.name!r}, which is {en}, not a regular file", value=p.name)
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


def _csv_grid(name: str, data: bytes, settings: Settings, f: Collector) -> Grid | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        f.add("error", "file_unreadable", f"Tệp {name}.csv không phải mã UTF-8 (byte {exc.start})",
              f"{name}.csv is not UTF-8 (byte {exc.start})", sheet=sheet_key(name))
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
                too_many_rows(f, sheet_key(name), settings)
                return None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            f.add("error", "cell_too_long", f"Một ô ở dòng {reader.line_num} quá dài (tối đa {MAX_CELL_CHARS:,} ký tự)",
                  f"a cell on line {reader.line_num} is too long (at most {MAX_CELL_CHARS:,} characters)",
                  sheet_key(name), reader.line_num)
            return None
        f.add("error", "file_unreadable", f"Tệp {name}.csv hỏng ở dòng {reader.line_num}: {exc}",
              f"{name}.csv is malformed at line {reader.line_num}: {exc}", sheet=sheet_key(name))
        return None
    return Grid(name, rows, numbers)


def too_many_rows(f: Collector, sheet: str, settings: Settings) -> None:
    f.add("error", "too_many_rows", f"Trang {sheet} có quá {settings.max_rows:,} dòng",
          f"sheet {sheet} has more than {settings.max_rows:,} rows", sheet=sheet)


def _load_xlsx(path: Path, settings: Settings, f: Collector) -> list[Grid]:
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
            name = sheet_key(meta.name)
            if name not in SHEET_NAMES:
                if meta.visible == python_calamine.SheetVisibleEnum.Visible and name not in IGNORED_SHEETS:
                    grids.append(Grid(meta.name, [], []))  # reported as an unknown sheet later
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            if sheet.total_height > settings.max_rows + HEADER_SCAN_ROWS:
                too_many_rows(f, name, settings)
                continue
            rows = sheet.to_python(skip_empty_area=False)
            grids.append(Grid(meta.name, rows, list(range(1, len(rows) + 1)), list(sheet.merged_cell_ranges or [])))
    except Exception as exc:
        _unreadable(f, f"Bảng tính bị hỏng, không đọc được ({exc})", f"the workbook is damaged and cannot be read ({exc})")
        return []
    finally:
        workbook.close()
    return grids


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def check_cell_sizes(grids: list[Grid], f: Collector) -> None:
    """Reject cells longer than any field of the contract could need (and drop their text)."""
    for grid in grids:
        for i, row in enumerate(grid.rows):
            for j, value in enumerate(row):
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    f.add("error", "cell_too_long",
                          f"Ô {_column_letter(j)}{grid.row_numbers[i]} dài {len(value):,} ký tự (tối đa {MAX_CELL_CHARS:,})",
                          f"cell {_column_letter(j)}{grid.row_numbers[i]} holds {len(value):,} characters "
                          f"(at most {MAX_CELL_CHARS:,})",
                          sheet_key(grid.name), grid.row_numbers[i], _column_letter(j), value[:50] + "...")
                    row[j] = None
