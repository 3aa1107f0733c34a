"""Official unit lists of earlier years (`ntm reference import-units FILE`): the file format, its
parsing and checks, and the rules that apply imported rows to the package's lists. Pure: the
database side (ref.admin_unit_import, ref.admin_unit) is ingest/store/reference.py.

The rule that keeps the intervals of one code from overlapping: an imported row whose code and
level the snapshot also has, and that is still in force on the snapshot day (no end, or an end
on or after 2025-06-30), is the same unit as the snapshot's: it only sets the snapshot row's
`valid_from`. An imported row that ended earlier is a historical unit with its own row
(`list_name = 'imported'`). A snapshot row never starts before the day after the latest end of
the historical rows of its code (a code freed by a merger and reused).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest.intake.admin_units import (
    IMPORTED,
    LEGACY,
    LEGACY_VALID_FROM,
    LEVEL_OF_LENGTH,
    LEVELS,
    REFORM_DATE,
    SNAPSHOT_DATE,
    AdminUnits,
    Unit,
    apply_starts,
    fold,
)

FILE_FORMAT = """\
A CSV file (UTF-8, with or without BOM; comma, semicolon or tab separated), one row per unit and
validity interval, with a header row naming these columns (Vietnamese or machine keys, any order,
other columns ignored):

  Mã / code                  GSO code: province 2 digits, district 3, commune 5 (the level
                             follows from the length; keep the leading zeros)
  Tên / name                 official name, e.g. "Xã Tân Lang" (the type is prefixed when absent)
  Loại, Cấp / type           Xã, Phường, Thị trấn (communes); Huyện, Quận, Thị xã, Thành phố
                             (districts); Tỉnh, Thành phố (provinces)
  Mã cấp trên / parent_code  the district of a commune, the province of a district; empty for a
                             province
  Hiệu lực từ / valid_from   first day in force: YYYY-MM-DD or DD/MM/YYYY (before 2025-07-01)
  Hiệu lực đến / valid_to    last day in force; empty = still in force

A unit still in force on 2025-06-30 must be one the built-in list of that day has (same code and
level): the row then only sets the day that unit's validity starts. A unit that ended earlier is
a historical unit with its own row. Intervals of one code must not overlap. Every row is checked
first; on any error nothing is imported. Importing the same file again changes nothing."""

_HEADER_ALIASES = {
    "code": ("code", "unit_code", "ma", "ma don vi", "ma dvhc", "ma so"),
    "name": ("name", "unit_name", "ten", "ten don vi", "ten dvhc"),
    "type": ("type", "unit_type", "loai", "cap", "loai/cap", "loai hinh", "loai don vi"),
    "parent_code": ("parent_code", "parent", "ma cap tren", "ma don vi cap tren", "ma cha"),
    "valid_from": ("valid_from", "hieu luc tu", "tu ngay", "ngay hieu luc", "hieu luc tu ngay"),
    "valid_to": ("valid_to", "hieu luc den", "den ngay", "het hieu luc", "hieu luc den ngay"),
}
_TYPES = {"xa": "Xã", "phuong": "Phường", "thi tran": "Thị trấn", "huyen": "Huyện", "quan": "Quận",
          "thi xa": "Thị xã", "thanh pho": "Thành phố", "tinh": "Tỉnh"}
_LEVEL_TYPES = {"province": ("Tỉnh", "Thành phố"), "district": ("Huyện", "Quận", "Thị xã", "Thành phố"),
                "commune": ("Xã", "Phường", "Thị trấn")}
_PARENT_LEVEL = {"district": "province", "commune": "district"}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _header_key(text: str) -> str:
    return re.sub(r"\s*/\s*", "/", fold(text.replace("\ufeff", "")))


_HEADER_OF = {_header_key(alias): key for key, aliases in _HEADER_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ImportedUnit:
    """One row of an imported unit list, as kept in `ref.admin_unit_import`."""
    code: str
    level: str
    name: str
    unit_type: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None
    source_file: str
    source_line: int

    @property
    def key(self) -> tuple[str, str, date]:
        return self.code, self.level, self.valid_from

    def covers(self, start: date, end: date | None) -> bool:
        """Whether this row's interval overlaps [start, end] (None: open)."""
        return (end is None or self.valid_from <= end) and (self.valid_to is None or self.valid_to >= start)


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: the line of the file, the column as the file names it."""
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"line {self.line}" if self.line else "",
                                      f"column {self.column}" if self.column else "",
                                      f"value {self.value!r}" if self.value is not None else "") if x)
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "message": self.message}


class UnitListError(Exception):
    """A unit list that cannot be imported; `problems` names every bad row."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(str(p) for p in problems[:3]))


@dataclass
class ParsedList:
    name: str
    rows: list[ImportedUnit]
    columns: dict[str, str]  # key -> header as written in the file
    ignored_columns: list[str]


def _parse_date(text: str) -> date | None:
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_VN_DATE, (2, 1, 0))):
        m = pattern.match(text)
        if m:
            parts = [int(p) for p in m.groups()]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def _decode(data: bytes) -> tuple[str, Problem | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return "", Problem(line, None, None, "the file is not UTF-8 text (save it as \"CSV UTF-8\"); nothing imported")


def parse_unit_list(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> ParsedList:
    """Read and check every row of a unit list (format: `FILE_FORMAT`). Raises `UnitListError`
    naming each bad row's line, column and value; never returns a partly valid list."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise UnitListError([Problem(None, None, None, f"the file is {size:,} bytes, more than {max_bytes:,}")])
    text, problem = _decode(path.read_bytes())
    if problem is not None:
        raise UnitListError([problem])
    text = unicodedata.normalize("NFC", text)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise UnitListError([Problem(1, None, None, "the file is empty: a header row is needed")])
    columns, index, ignored = _read_header(header)
    problems: list[Problem] = []
    rows: list[ImportedUnit] = []
    first_line: dict[tuple[str, str, date], int] = {}
    line = reader.line_num + 1
    for record in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            problems.append(Problem(start, None, None, f"{len(record)} fields, but the header has {len(header)}"))
            continue
        cells = {k: (record[i].strip() if i < len(record) else "") for k, i in index.items()}
        row = _check_row(cells, columns, start, path.name, problems)
        if row is None:
            continue
        if row.key in first_line:
            problems.append(Problem(start, columns["valid_from"], cells["valid_from"],
                                    f"unit {row.code} starting {row.valid_from} is already on line {first_line[row.key]}"))
            continue
        first_line[row.key] = start
        rows.append(row)
    if problems:
        raise UnitListError(problems)
    if not rows:
        raise UnitListError([Problem(None, None, None, "the file has a header but no rows")])
    return ParsedList(path.name, rows, columns, ignored)


def _read_header(header: list[str]) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """The header row: key -> title as written, key -> column index, and the ignored titles.
    Raises `UnitListError` for a column named twice or a column missing."""
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, title in enumerate(header):
        key = _HEADER_OF.get(_header_key(title))
        if key is None:
            if title.strip():
                ignored.append(title.strip())
        elif key in index:
            problems.append(Problem(1, title, None, f"a second column for {key} (first: {columns[key]!r})"))
        else:
            index[key], columns[key] = i, title.strip()
    for key, aliases in _HEADER_ALIASES.items():
        if key not in index:
            problems.append(Problem(1, None, None, f"no column for {key}: name it {aliases[0]!r} or "
                                                   f"{_VIETNAMESE_HEADER[key]!r}"))
    if problems:
        raise UnitListError(problems)
    return columns, index, ignored


_VIETNAMESE_HEADER = {"code": "Mã", "name": "Tên", "type": "Loại", "parent_code": "Mã cấp trên",
                      "valid_from": "Hiệu lực từ", "valid_to": "Hiệu lực đến"}


def _check_row(cells: dict[str, str], columns: dict[str, str], line: int, source: str,
               problems: list[Problem]) -> ImportedUnit | None:
    before = len(problems)

    def bad(key: str, message: str) -> None:
        problems.append(Problem(line, columns[key], cells[key], message))

    code = cells["code"]
    level = LEVEL_OF_LENGTH.get(len(code)) if code.isdigit() else None
    if not code:
        bad("code", "the code is empty")
    elif not code.isascii() or not code.isdigit():
        bad("code", "a code is digits only (GSO code)")
    elif level is None:
        lost = " (a leading zero lost by a spreadsheet?)" if len(code) in (1, 4) else ""
        bad("code", f"a code has 2 (province), 3 (district) or 5 (commune) digits, not {len(code)}{lost}")
    unit_type = _TYPES.get(fold(cells["type"]))
    if unit_type is None:
        bad("type", "the type is one of " + ", ".join(dict.fromkeys(_TYPES.values())))
    elif level is not None and unit_type not in _LEVEL_TYPES[level]:
        bad("type", f"a {level} ({len(code)}-digit code) is a " + " / ".join(_LEVEL_TYPES[level])
            + f", not a {unit_type}")
    name = " ".join(cells["name"].split())
    if not name:
        bad("name", "the name is empty")
    elif unit_type is not None and not fold(name).startswith(fold(unit_type) + " "):
        name = f"{unit_type} {name}"
    parent = cells["parent_code"] or None
    if level == "province" and parent is not None:
        bad("parent_code", "a province has no parent: leave it empty")
    elif level in _PARENT_LEVEL:
        want = _PARENT_LEVEL[level]
        digits = {"province": 2, "district": 3}[want]
        if parent is None:
            bad("parent_code", f"a {level} needs the code of its {want}")
        elif not (parent.isascii() and parent.isdigit() and len(parent) == digits):
            bad("parent_code", f"the parent of a {level} is a {want}: {digits} digits")
    valid_from = _parse_date(cells["valid_from"])
    if not cells["valid_from"]:
        bad("valid_from", "the first day in force is needed")
    elif valid_from is None:
        bad("valid_from", "not a date: write YYYY-MM-DD or DD/MM/YYYY")
    elif valid_from < LEGACY_VALID_FROM:
        bad("valid_from", f"dates before {LEGACY_VALID_FROM} are not supported")
    elif valid_from >= REFORM_DATE:
        bad("valid_from", "import-units is for the lists before the 2025 reform (the 2025 list is built in): "
                          "the first day must be before 2025-07-01")
    valid_to = _parse_date(cells["valid_to"]) if cells["valid_to"] else None
    if cells["valid_to"] and valid_to is None:
        bad("valid_to", "not a date: write YYYY-MM-DD or DD/MM/YYYY, or leave it empty (still in force)")
    elif valid_to is not None and valid_from is not None and valid_to < valid_from:
        bad("valid_to", f"the last day in force is before the first ({valid_from})")
    if len(problems) > before:
        return None
    assert level is not None and unit_type is not None and valid_from is not None
    return ImportedUnit(code, level, name, unit_type, parent if level != "province" else None,
                        valid_from, valid_to, source, line)


@dataclass
class Derived:
    """The units of `ref.admin_unit` with imports applied, and what the imports did."""
    admin: AdminUnits
    problems: list[Problem]
    historical: list[ImportedUnit] = field(default_factory=list)  # rows of their own
    continuing: list[ImportedUnit] = field(default_factory=list)  # rows that set a snapshot start
    starts: dict[tuple[str, str], date] = field(default_factory=dict)  # snapshot starts set


@dataclass
class _Reporter:
    """Problems of imported rows: a row of the file being imported (`ours`) by its line, an
    earlier import by its file and line."""
    ours: set[ImportedUnit]
    problems: list[Problem] = field(default_factory=list)

    def where(self, row: ImportedUnit) -> str:
        return f"line {row.source_line}" if row in self.ours else \
            f"{row.source_file} line {row.source_line} (imported earlier; --replace drops earlier imports)"

    def report(self, row: ImportedUnit, column: str, value: str, message: str) -> None:
        if row in self.ours:
            self.problems.append(Problem(row.source_line, column, value, message))
        else:
            self.problems.append(Problem(None, column, value, f"{self.where(row)}: {message}"))


def derive(base: AdminUnits, imports: list[ImportedUnit], current: Iterable[ImportedUnit] = ()) -> Derived:
    """Apply imported rows to the package's lists (the rules in the module docstring). Rows that
    break a rule are left out and reported as problems; a conflict between a row of `current`
    (the file being imported) and an earlier import is reported on the current row."""
    reporter = _Reporter(set(current))
    snapshot = {(u.code, u.level) for u in base.all_units(LEGACY)}
    groups: dict[tuple[str, str], list[ImportedUnit]] = defaultdict(list)
    for row in imports:
        groups[(row.code, row.level)].append(row)
    kept: list[ImportedUnit] = []
    starts: dict[tuple[str, str], date] = {}
    continuing: list[ImportedUnit] = []
    for key, rows in groups.items():
        good = _without_overlaps(rows, reporter)
        in_snapshot = key in snapshot
        last_end: date | None = None
        for row in good:
            if row.valid_to is not None and row.valid_to < SNAPSHOT_DATE:
                kept.append(row)  # ended before the snapshot: a historical unit of its own
                last_end = row.valid_to if last_end is None else max(last_end, row.valid_to)
            elif not in_snapshot:
                reporter.report(row, "valid_to", row.valid_to.isoformat() if row.valid_to else "",
                                f"{row.code} ({row.name}) is said to be in force on {SNAPSHOT_DATE}, but the list "
                                f"of that day has no {row.level} {row.code}: give the last day it was in force")
            else:  # still in force on the snapshot day: the snapshot's unit, from this day
                starts[key] = row.valid_from
                continuing.append(row)
        if in_snapshot and last_end is not None:  # a code reused: the snapshot's unit starts after
            starts[key] = max(starts.get(key, LEGACY_VALID_FROM), last_end + timedelta(days=1))
    units = apply_starts(base.all_units(), starts)
    imported, historical = _historical_units(units, kept, reporter)
    return Derived(base.with_units(units + imported), reporter.problems, historical, continuing, starts)


def _without_overlaps(rows: list[ImportedUnit], reporter: _Reporter) -> list[ImportedUnit]:
    """The rows of one code and level whose intervals do not overlap; of two that do, the
    current file's row wins over an earlier import's, else the earlier-starting one."""
    ours = reporter.ours
    rows.sort(key=lambda r: (r.valid_from, r not in ours))
    good: list[ImportedUnit] = []
    for row in rows:
        clash = next((g for g in good if g.covers(row.valid_from, row.valid_to)), None)
        if clash is None:
            good.append(row)
            continue
        dropped, other = (clash, row) if clash in ours and row not in ours else (row, clash)
        reporter.report(dropped, "valid_from", dropped.valid_from.isoformat(),
                        f"{dropped.code} from {dropped.valid_from} to {dropped.valid_to or 'now'} overlaps "
                        f"{reporter.where(other)} ({other.valid_from} to {other.valid_to or 'now'}): the intervals "
                        f"of one code never overlap")
        if dropped is clash:
            good[good.index(clash)] = row
    return good


def _historical_units(units: list[Unit], kept: list[ImportedUnit],
                      reporter: _Reporter) -> tuple[list[Unit], list[ImportedUnit]]:
    """Units of their own for the historical rows whose parent was in force during their interval
    (their province is the parent's then)."""
    by_code: dict[str, list[tuple[date, date | None, str]]] = defaultdict(list)
    for u in units:
        if u.list_name == LEGACY:
            by_code[u.code].append((u.valid_from, u.valid_to, u.province_code))
    for row in kept:
        if row.level == "district":
            by_code[row.code].append((row.valid_from, row.valid_to, row.parent_code or ""))
        elif row.level == "province":
            by_code[row.code].append((row.valid_from, row.valid_to, row.code))
    imported: list[Unit] = []
    historical: list[ImportedUnit] = []
    for row in sorted(kept, key=lambda r: (LEVELS.index(r.level), r.code, r.valid_from)):
        province = row.code
        if row.parent_code is not None:
            end = row.valid_to or SNAPSHOT_DATE
            overlapping = [(s, e, p) for s, e, p in by_code.get(row.parent_code, [])
                           if s <= end and (e is None or e >= row.valid_from)]
            if not overlapping:
                parent_level = _PARENT_LEVEL[row.level]
                reporter.report(row, "parent_code", row.parent_code,
                                f"no {parent_level} {row.parent_code} in force between {row.valid_from} and "
                                f"{row.valid_to}" if by_code.get(row.parent_code) else
                                f"no {parent_level} {row.parent_code}, neither in the built-in list nor imported")
                continue
            province = max(overlapping, key=lambda t: t[0])[2]
        imported.append(Unit(row.code, row.name, row.level, row.parent_code, province, row.unit_type,
                             row.valid_from, row.valid_to, IMPORTED))
        historical.append(row)
    return imported, historical
