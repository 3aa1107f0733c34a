"""The size of a workbook's contract sheets, read from their XML before the reading library sees
them: calamine builds a sheet's whole grid (rows x columns from A1, ~32 bytes a cell) before any
size can be asked, so a 16 KB workbook with one cell at A1 and one at XFD1048576 asks for half a
terabyte and aborts the process.

For each contract sheet: the declared extent (`<dimension ref="A1:K120"/>`) and the real one (the
last row and column of a cell that holds something, `<c>` with content; an empty styled `<c .../>`
does not count), found by a streamed byte scan of the sheet's part (no XML tree, no grid; cells
without an `r` attribute are placed as Excel places them, after the previous one). The scan of a
sheet stops as soon as it is over a limit. Each sheet is checked against the limits, declared
and real alike:

- rows: `NTM_MAX_ROWS` + the header rows (HEADER_SCAN_ROWS), else `too_many_rows`;
- columns: `NTM_MAX_COLUMNS`, else `too_many_columns`;
- cells, rows x columns from A1, of each sheet and of the contract sheets together: the budget
  `NTM_MAX_CELLS`, else `too_many_rows` (rows are what grows).

Each finding names the sheet, both extents, the limit and what to send instead. Files that are
not workbooks, or that another limit refuses (size, zip ratio), are left to the reader, which
names them."""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

from ingest.config import Settings
from ingest.intake.collect import Collector
from ingest.intake.formats import HEADER_SCAN_ROWS, sheet_key
from ingest.intake.sheetxml import contract_sheets

_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*?)(/?)>")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_R = re.compile(rb"(?:^|\s)r\s*=\s*[\"']\s*([A-Za-z]*)(\d*)\s*[\"']")
# _TAG as it matches when no tag name has a namespace prefix (a body without `:c` or `:row`): the
# attributes up to `>` (a trailing `/` is the empty-cell mark, as `(/?)>` takes it) and, when the
# first attribute is `r`, its letters and digits (what _R finds first in them); `given` is empty
# when it is not, and _R then searches the attributes as before. Several times faster than _TAG.
_TAG_PLAIN = re.compile(rb"<(row|c)(?=[\s/>])(\s+r\s*=\s*[\"']\s*([A-Za-z]*)(\d*)\s*[\"'])?([^>]*)>")
_REF = re.compile(r"([A-Za-z]*)(\d*)")
_CHUNK = 1 << 20
_MAX_TAG = 1 << 16  # a start tag longer than this is not a cell of any real workbook: dropped


@dataclass(frozen=True)
class Extent:
    """Rows and columns from A1 to a sheet's last cell (1-based; 0 x 0 for an empty sheet)."""

    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def last_cell(self) -> str:
        return f"{column_letters(self.columns)}{self.rows}" if self.rows and self.columns else "A1"

    def union(self, other: Extent | None) -> Extent:
        return self if other is None else Extent(max(self.rows, other.rows), max(self.columns, other.columns))


@dataclass(frozen=True)
class SheetExtent:
    sheet: str                 # the contract sheet (normalised key)
    declared: Extent | None    # from <dimension ref>, None when the sheet declares none
    declared_ref: str | None   # as written, e.g. "A1:XFD1048576"
    real: Extent               # the last row and column holding something (at least, when `stopped`)
    stopped: bool = False      # the scan stopped early, over a limit

    @property
    def extent(self) -> Extent:
        return self.real.union(self.declared)


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cells: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_rows + HEADER_SCAN_ROWS, settings.max_columns, settings.max_cells)


def column_letters(number: int) -> str:
    """1 → A, 16384 → XFD (1-based)."""
    letters = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters or "A"


def column_number(letters: str) -> int:
    """A → 1, XFD → 16384 (case-insensitive; '' → 0)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def parse_ref(ref: str) -> Extent | None:
    """The extent a dimension ref declares: its last cell (`A1:K120` → 120 x 11, `B2` → 2 x 2)."""
    end = ref.strip().split(":")[-1].replace("$", "")
    m = _REF.fullmatch(end)
    if not m or not m.group(2):
        return None
    return Extent(int(m.group(2)), column_number(m.group(1)) if m.group(1) else 1)


def scan_sheet(stream: IO[bytes], limits: Limits) -> tuple[Extent | None, str | None, Extent, bool]:
    """(declared extent, declared ref, real extent, stopped) of one sheet's XML stream. Stops when
    the real extent passes the row or column limit, or holds more cells than the budget."""
    scan = _Scan(limits)
    tail = b""
    while not scan.stopped and (chunk := stream.read(_CHUNK)):
        data = tail + chunk
        cut = data.rfind(b"<")  # a tag may continue in the next chunk: keep it for then
        if cut < 0 or len(data) - cut > _MAX_TAG:
            cut = len(data)
        scan.feed(data[:cut])
        tail = data[cut:]
    if not scan.stopped:
        scan.feed(tail)
    return scan.declared, scan.declared_ref, Extent(scan.max_row, scan.max_col), scan.stopped


class _Scan:
    """Where a streamed scan of one sheet is (see `scan_sheet`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.declared: Extent | None = None
        self.declared_ref: str | None = None
        self.looking_for_dimension = True
        self.row = self.col = 0          # the current row, the last cell's column
        self.max_row = self.max_col = 0  # the last row and column of a cell holding something
        self.stopped = False

    def feed(self, body: bytes) -> None:
        if self.looking_for_dimension:
            if b"dimension" in body and (m := _DIMENSION.search(body)):  # the word first: a scan in C
                self.declared_ref = m.group(1).decode("ascii", "replace")[:64]
                self.declared = parse_ref(self.declared_ref)
                self.looking_for_dimension = False
            elif b"sheetData" in body:
                self.looking_for_dimension = False
        tags = _tags(body)
        if not self._feed_placed(tags):
            self._feed_each(tags)

    def _feed_placed(self, tags: list[tuple[bytes, bytes, bytes, bytes, bytes]]) -> bool:
        """The common case in one pass: every tag places itself (`r` first, with its row, and on a
        cell its column), so the extent is the largest row and column of a cell holding something.
        It stands when it is within the limits: the tag-by-tag scan would not have stopped (an
        extent only grows) and ends where the last tag is. False (nothing changed) otherwise."""
        if not all(given and digits and (letters or name == b"row") for name, given, letters, digits, _ in tags):
            return False
        cells = [(letters, digits) for name, _, letters, digits, attrs in tags
                 if name == b"c" and not attrs.endswith(b"/")]
        max_row, max_col = self.max_row, self.max_col
        try:
            if cells:
                max_row = max(max_row, max(int(digits) for _, digits in cells))
                max_col = max(max_col, max(map(_column_number, {letters for letters, _ in cells})))
            if tags:
                name, _, letters, digits, _ = tags[-1]
                row, col = int(digits), (0 if name == b"row" else _column_number(letters))
        except ValueError:  # a row number of thousands of digits: the scan may stop before it
            return False
        if max_row > self.limits.rows or max_col > self.limits.columns or max_row * max_col > self.limits.cells:
            return False
        if tags:
            self.row, self.col = row, col
        self.max_row, self.max_col = max_row, max_col
        return True

    def _feed_each(self, tags: list[tuple[bytes, bytes, bytes, bytes, bytes]]) -> None:
        """Tag by tag, as Excel places cells without `r`; stops as soon as a limit is passed."""
        limits = self.limits
        row, col, max_row, max_col = self.row, self.col, self.max_row, self.max_col
        try:
            for name, given, letters, digits, attrs in tags:
                if not given and (r := _R.search(attrs)):  # a trailing `/` is never part of a match
                    letters, digits = r.group(1), r.group(2)
                if name == b"row":
                    row = int(digits) if digits else row + 1
                    col = 0
                    continue
                if digits:
                    row = int(digits)
                    col = _column_number(letters) if letters else col + 1
                else:
                    col += 1
                if attrs.endswith(b"/"):  # <c .../>: an empty (styled) cell, which no reader keeps
                    continue
                if row > max_row or col > max_col:
                    max_row, max_col = max(max_row, row), max(max_col, col)
                    if max_row > limits.rows or max_col > limits.columns or max_row * max_col > limits.cells:
                        self.stopped = True
                        return
        finally:
            self.row, self.col, self.max_row, self.max_col = row, col, max_row, max_col


def _tags(body: bytes) -> list[tuple[bytes, bytes, bytes, bytes, bytes]]:
    """(name, given, letters, digits, attributes) of each `<row>` and `<c>` start tag, as _TAG
    finds them, the attributes with the `/` of an empty tag; `given` is b"" when the `r` (its
    letters and digits) is not the first attribute or is missing."""
    if b":c" not in body and b":row" not in body:  # no prefixed tag name can match: the plain scan
        return _TAG_PLAIN.findall(body)
    return [(name, b"", b"", b"", attrs + empty) for name, attrs, empty in _TAG.findall(body)]


def _column_number(letters: bytes) -> int:
    """column_number of a cell reference's letters; the few thousand real ones are remembered."""
    return _known_column_number(letters) if len(letters) <= 3 else column_number(letters.decode())


@lru_cache(maxsize=20_000)  # A..XFD: 18,278 in capitals
def _known_column_number(letters: bytes) -> int:
    return column_number(letters.decode())


def measure(archive: zipfile.ZipFile, limits: Limits) -> list[SheetExtent]:
    """The declared and real extent of each contract sheet of a workbook, in workbook order. A
    part that breaks off (damaged deflate stream, bad CRC) keeps what was read before the break."""
    names = set(archive.namelist())
    out: list[SheetExtent] = []
    for name, _state, part in contract_sheets(archive):
        if part not in names:
            continue
        declared = declared_ref = None
        real, stopped = Extent(0, 0), False
        with archive.open(part) as stream:
            try:
                declared, declared_ref, real, stopped = scan_sheet(stream, limits)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                pass  # the reader names the damaged package
        out.append(SheetExtent(sheet_key(name), declared, declared_ref, real, stopped))
    return out


def check_extents(path: Path, settings: Settings, f: Collector) -> bool:
    """False (with findings) when a workbook's contract sheets are over a limit; True when they fit
    or when `path` is not a workbook this can measure (the reader then names what it is)."""
    try:
        if not path.is_file():
            return True
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            return True
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if "xl/workbook.xml" not in {e.filename for e in entries} or _expands_too_much(entries, size, settings):
                return True
            extents = measure(archive, Limits.of(settings))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ET.ParseError, KeyError, OSError, EOFError, zlib.error,
            NotImplementedError, RuntimeError, ValueError):
        return True
    return judge(extents, Limits.of(settings), f)


def _expands_too_much(entries: list[zipfile.ZipInfo], size: int, settings: Settings) -> bool:
    """The reader's zip-bomb rule (formats._zip_ratio_ok): such a package is never scanned."""
    total = sum(e.file_size for e in entries)
    worst = max((e.file_size / max(e.compress_size, 1) for e in entries), default=0)
    return total / max(size, 1) > settings.max_zip_ratio or worst > settings.max_zip_ratio


def judge(extents: list[SheetExtent], limits: Limits, f: Collector) -> bool:
    """Findings for each sheet over a limit, then for the sheets together over the cell budget."""
    ok = True
    for s in extents:
        e = s.extent
        if e.rows > limits.rows:
            _too_many_rows(f, s, limits)
        if e.columns > limits.columns:
            _too_many_columns(f, s, limits)
        if e.rows <= limits.rows and e.columns <= limits.columns and e.cells > limits.cells:
            _over_budget(f, s, limits)
        ok = ok and e.rows <= limits.rows and e.columns <= limits.columns and e.cells <= limits.cells
    total = sum(s.extent.cells for s in extents)
    if ok and total > limits.cells:
        _over_budget_together(f, extents, total, limits)
        ok = False
    return ok


def vn(n: int) -> str:
    """Vietnamese digit grouping: 1048576 → 1.048.576."""
    return f"{n:,}".replace(",", ".")


def _extents_text(s: SheetExtent) -> tuple[str, str]:
    at_least_vi, at_least_en = ("ít nhất ", "at least ") if s.stopped else ("", "")
    vi = [f"vùng khai báo {s.declared_ref}"] if s.declared_ref else []
    en = [f"declared range {s.declared_ref}"] if s.declared_ref else []
    if s.real.cells:
        vi.append(f"dữ liệu trải trên {at_least_vi}vùng A1:{s.real.last_cell}")
        en.append(f"data span {at_least_en}A1:{s.real.last_cell}")
    return "; ".join(vi) or "trang trống", "; ".join(en) or "an empty sheet"


_SEND_VI = ("Hãy xoá các dòng và cột thừa ngoài vùng số liệu (chọn chúng, Xoá, rồi lưu), hoặc chép riêng vùng "
            "số liệu sang một bảng tính mới, rồi gửi lại tệp .xlsx.")
_SEND_EN = ("Delete the rows and columns beyond the data (select them, Delete, save), or copy only the data into "
            "a new workbook, and send the .xlsx again.")


def _too_many_rows(f: Collector, s: SheetExtent, limits: Limits) -> None:
    vi, en = _extents_text(s)
    rows = s.extent.rows
    f.add("error", "too_many_rows",
          f"Trang {s.sheet} kéo dài đến dòng {vn(rows)} ({vi}), vượt giới hạn {vn(limits.rows)} dòng. {_SEND_VI}",
          f"sheet {s.sheet} extends to row {rows:,} ({en}), over the limit of {limits.rows:,} rows. {_SEND_EN}",
          s.sheet, rows, None, _shown_extent(s))


def _too_many_columns(f: Collector, s: SheetExtent, limits: Limits) -> None:
    vi, en = _extents_text(s)
    cols = s.extent.columns
    letters = column_letters(cols)
    f.add("error", "too_many_columns",
          f"Trang {s.sheet} kéo dài đến cột {letters} (cột thứ {vn(cols)}; {vi}), vượt giới hạn {vn(limits.columns)} "
          f"cột. {_SEND_VI}",
          f"sheet {s.sheet} extends to column {letters} (column {cols:,}; {en}), over the limit of {limits.columns:,} "
          f"columns. {_SEND_EN}", s.sheet, None, letters, _shown_extent(s))


def _over_budget(f: Collector, s: SheetExtent, limits: Limits) -> None:
    vi, en = _extents_text(s)
    e = s.extent
    f.add("error", "too_many_rows",
          f"Trang {s.sheet} có {vn(e.rows)} dòng × {vn(e.columns)} cột = {vn(e.cells)} ô ({vi}), vượt giới hạn "
          f"{vn(limits.cells)} ô của một tệp. {_SEND_VI}",
          f"sheet {s.sheet} spans {e.rows:,} rows x {e.columns:,} columns = {e.cells:,} cells ({en}), over the "
          f"budget of {limits.cells:,} cells a file. {_SEND_EN}", s.sheet, e.rows, None, _shown_extent(s))


def _over_budget_together(f: Collector, extents: list[SheetExtent], total: int, limits: Limits) -> None:
    parts = [(s.sheet, s.extent) for s in extents if s.extent.cells]
    vi = ", ".join(f"{name} {vn(e.rows)}×{vn(e.columns)}" for name, e in parts)
    en = ", ".join(f"{name} {e.rows:,}x{e.columns:,}" for name, e in parts)
    f.add("error", "too_many_rows",
          f"Các trang của tệp cộng lại có {vn(total)} ô ({vi}), vượt giới hạn {vn(limits.cells)} ô của một tệp. "
          f"Hãy tách số liệu thành nhiều tệp hoặc xoá các dòng, cột thừa, rồi gửi lại.",
          f"the sheets of the file together span {total:,} cells ({en}), over the budget of {limits.cells:,} cells "
          f"a file. Split the data into several files or delete the rows and columns beyond the data, and send "
          f"again.", None, None, None, total)


def _shown_extent(s: SheetExtent) -> str:
    return f"A1:{s.extent.last_cell}"
