"""Vietnam's administrative units: the `vietnamadminunits` package (MIT) plus imported lists.

Every unit is valid over an interval of days (domain.md, "Administrative units"); a code alone
never identifies a unit, the code and the day do (3,350 codes occur in both package lists and
35 of them name a different unit after the reform). Lookups (`AdminUnits.unit(code, on)`,
`communes_of`, `districts_of`, `provinces`, `find_commune_by_name`) return the units in force
on that day.

Where the intervals come from:

- `legacy` (package): 63 provinces, 696 districts, 10,035 communes (wards, townships), in force
  until 2025-06-30. The package carries one snapshot of it, taken just before the 2025 reform;
  without an imported list the snapshot is applied to every earlier period too, so its rows have
  `valid_from = 1900-01-01` (a sentinel meaning "since before any submission").
- `2025` (package): 34 provinces and 3,321 communes, no districts, from 2025-07-01.
- `imported` (`ntm reference import-units FILE`, see `import_units`): official lists of earlier
  years, as the General Statistics Office publishes them. The rule that keeps the intervals of
  one code from overlapping: an imported row whose code and level the snapshot also has, and
  that is still in force on the snapshot day (no end, or an end on or after 2025-06-30), is the
  same unit as the snapshot's: it only sets the snapshot row's `valid_from`. An imported row
  that ended earlier is a historical unit with its own row (`list_name = 'imported'`). A
  snapshot row never starts before the day after the latest end of the historical rows of its
  code (a code freed by a merger and reused).

The imported rows are kept as imported in `ref.admin_unit_import` (with the file and line they
came from); `ref.admin_unit` is always derived from the package lists plus those rows, so that
reloading the package lists (`load_reference_table`, run by `ntm db migrate`) keeps the imports.

The crosswalk (legacy commune -> 2025 commune) comes from the package's converter data: a
legacy commune that was not divided maps to the one 2025 commune it became part of; a divided
one maps to the package's default successor. Legacy provinces map to the 2025 province that
absorbed them; the five island districts without communes map to their 2025 special zone.

GSO codes are text with leading zeros: province 2 digits, district 3, commune 5.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sqlite3
import time
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

REFORM_DATE = date(2025, 7, 1)
LEGACY_VALID_FROM = date(1900, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)
SNAPSHOT_DATE = LEGACY_VALID_TO  # the day the package's legacy list describes

LEGACY = "legacy"
LIST_2025 = "2025"
IMPORTED = "imported"

LEVELS = ("province", "district", "commune")
_LEVEL_OF_LENGTH = {2: "province", 3: "district", 5: "commune"}

_COMMUNE_PREFIXES = ("thi tran", "phuong", "dac khu", "xa")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # "province" | "district" | "commune"
    parent_code: str | None
    province_code: str
    unit_type: str | None
    valid_from: date = LEGACY_VALID_FROM
    valid_to: date | None = None  # None: still in force
    list_name: str = LEGACY

    @property
    def is_xa(self) -> bool:
        """A xã (rural commune): only xã take part in the NTM programme."""
        return self.unit_type == "Xã"

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def fold(text: str) -> str:
    """NFC, lower case, without diacritics (đ -> d), single spaces: the key for name matching."""
    text = unicodedata.normalize("NFD", text.replace("\u0110", "D").replace("\u0111", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


_fold_name = lru_cache(maxsize=65_536)(fold)


def _strip_prefix(folded: str) -> str:
    for prefix in _COMMUNE_PREFIXES:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1:]
    return folded


def _key(text: str) -> str:
    """The package's compact keys ("thanhphohanoi"): folded, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def import_hint(on: date) -> tuple[str, str]:
    """The sentence (Vietnamese, English) appended to an unknown-code error for a period of the
    snapshot era: the built-in list is the 2025-06-30 snapshot, so a unit merged away earlier is
    missing until the official list of that period is imported. Empty from 2025-07-01."""
    if on >= REFORM_DATE:
        return "", ""
    return (
        ". Danh mục có sẵn là danh mục ngày 30/06/2025; nếu đơn vị này đã bị sáp nhập hoặc đổi mã trước đó, "
        "hãy nhập danh mục chính thức của thời kỳ đó bằng lệnh `ntm reference import-units TỆP`",
        "; the built-in list is the one of 2025-06-30: if this unit was merged away or recoded before, "
        "import the official list of that period with `ntm reference import-units FILE`",
    )


class AdminUnits:
    """Lookups over units keyed by their validity intervals. Build with `load_admin_units()`
    (package lists, cached) or `load_admin_units(url)` (plus the database's imported units)."""

    def __init__(self, units: Iterable[Unit], successors: dict[str, str]) -> None:
        self._all: list[Unit] = list(units)
        self._successors = successors
        by_code: dict[str, list[Unit]] = defaultdict(list)
        children: dict[str, list[Unit]] = defaultdict(list)
        communes: dict[str, list[Unit]] = defaultdict(list)
        provinces: list[Unit] = []
        bounds: set[date] = set()
        for u in self._all:
            by_code[u.code].append(u)
            bounds.add(u.valid_from)
            if u.valid_to is not None:
                bounds.add(u.valid_to + timedelta(days=1))
            if u.level == "province":
                provinces.append(u)
                continue
            if u.parent_code is not None:
                children[u.parent_code].append(u)
            if u.level == "commune":
                communes[u.province_code].append(u)
                if u.parent_code != u.province_code and u.parent_code is not None:
                    communes[u.parent_code].append(u)
        for intervals in by_code.values():
            if len(intervals) > 1:
                intervals.sort(key=lambda u: u.valid_from)
        self._by_code = dict(by_code)
        self._children = dict(children)
        self._communes = dict(communes)
        self._provinces = sorted(provinces, key=lambda u: (u.code, u.valid_from))
        # Between two consecutive bounds the set of units in force does not change: results are
        # cached per (query, epoch), so a batch of files for the same month filters once.
        self._bounds = sorted(bounds)
        self._cache: dict[tuple[str, str, int], list[Unit]] = {}

    # -- eras --------------------------------------------------------------------------------

    @staticmethod
    def list_for(on: date) -> str:
        """The era of a day: `legacy` before 2025-07-01 (districts submit; imported units and
        the snapshot), `2025` from then on (provinces submit; no districts)."""
        return LEGACY if on < REFORM_DATE else LIST_2025

    # -- lookups -----------------------------------------------------------------------------

    def _epoch(self, on: date) -> int:
        return bisect_right(self._bounds, on)

    def _in_force(self, kind: str, key: str, pool: list[Unit], on: date) -> list[Unit]:
        cache_key = (kind, key, self._epoch(on))
        found = self._cache.get(cache_key)
        if found is None:
            found = [u for u in pool if u.in_force(on)]
            self._cache[cache_key] = found
        return found

    def all_units(self, list_name: str | None = None) -> list[Unit]:
        """Every interval of every unit (of one list: `legacy`, `2025` or `imported`)."""
        return [u for u in self._all if list_name is None or u.list_name == list_name]

    def intervals(self, code: str) -> list[Unit]:
        """Every unit that has had this code, by validity start."""
        return list(self._by_code.get(code, ()))

    def unit(self, code: str, on: date) -> Unit | None:
        """The unit with this code in force on `on` (codes are unique per level by length)."""
        for u in self._by_code.get(code, ()):
            if u.in_force(on):
                return u
        return None

    def communes_of(self, unit_code: str, on: date) -> list[Unit]:
        """The communes in force on `on` under a province or district in force then (a commune
        is its own list); [] for a code not in force."""
        found = self.unit(unit_code, on)
        if found is None:
            return []
        if found.level == "commune":
            return [found]
        return list(self._in_force("communes", unit_code, self._communes.get(unit_code, []), on))

    def find_commune_by_name(self, name: str, parent_code: str, on: date) -> list[Unit]:
        """Communes under `parent_code` whose name matches: an exact (folded) full-name match
        wins ("Xã Thọ Xuân" over "Thị trấn Thọ Xuân"); else the name without its type prefix."""
        wanted = fold(unicodedata.normalize("NFC", name))
        if not wanted:
            return []
        candidates = self.communes_of(parent_code, on)
        exact = [u for u in candidates if _fold_name(u.name) == wanted]
        if exact:
            return exact
        short = _strip_prefix(wanted)
        return [u for u in candidates if _strip_prefix(_fold_name(u.name)) == short]

    def districts_of(self, province_code: str, on: date) -> list[Unit]:
        children = self._in_force("children", province_code, self._children.get(province_code, []), on)
        return [u for u in children if u.level == "district"]

    def provinces(self, on: date) -> list[Unit]:
        return list(self._in_force("provinces", "", self._provinces, on))

    def successor(self, legacy_commune_code: str) -> str | None:
        """The 2025 unit a legacy commune (or province, or island district) became part of."""
        return self._successors.get(legacy_commune_code)


# ---------------------------------------------------------------------------------------------
# the package's lists


def _dataset() -> sqlite3.Connection:
    path = files("vietnamadminunits") / "data" / "dataset.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _read_lists(conn: sqlite3.Connection) -> tuple[list[Unit], dict[str, tuple[str, str, str]]]:
    """Both lists, and for each legacy commune / district its package keys (for the crosswalk)."""
    units: list[Unit] = []
    keys: dict[str, tuple[str, str, str]] = {}
    seen: set[str] = set()
    legacy = {"valid_from": LEGACY_VALID_FROM, "valid_to": LEGACY_VALID_TO, "list_name": LEGACY}
    rows = conn.execute(
        "SELECT province, provinceCode, provinceKey, district, districtCode, districtType, districtKey,"
        " ward, wardCode, wardType, wardKey FROM admin_units_legacy"
        " ORDER BY provinceCode, districtCode, wardCode")
    for (pname, pcode, pkey, dname, dcode, dtype, dkey, wname, wcode, wtype, wkey) in rows:
        if pcode not in seen:
            seen.add(pcode)
            units.append(Unit(pcode, pname, "province", None, pcode, _province_type(pname), **legacy))
            keys[pcode] = (pkey, "", "")
        if dcode not in seen:
            seen.add(dcode)
            units.append(Unit(dcode, dname, "district", pcode, pcode, dtype, **legacy))
            keys[dcode] = (pkey, dkey, "")
        if wcode:
            units.append(Unit(wcode, wname, "commune", dcode, pcode, wtype, **legacy))
            keys[wcode] = (pkey, dkey, wkey)
    new = {"valid_from": REFORM_DATE, "valid_to": None, "list_name": LIST_2025}
    seen.clear()
    rows = conn.execute("SELECT province, provinceCode, ward, wardCode, wardType FROM admin_units"
                        " ORDER BY provinceCode, wardCode")
    for pname, pcode, wname, wcode, wtype in rows:
        if pcode not in seen:
            seen.add(pcode)
            units.append(Unit(pcode, pname, "province", None, pcode, _province_type(pname), **new))
        units.append(Unit(wcode, wname, "commune", pcode, pcode, wtype, **new))
    return units, keys


def _crosswalk(conn: sqlite3.Connection, keys: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    data = json.loads((files("vietnamadminunits") / "data" / "converter_2025.json").read_text("utf-8"))
    new_province: dict[str, str] = {}
    new_ward: dict[tuple[str, str], str] = {}
    for pcode, pkey, wcode, wkey in conn.execute(
            "SELECT provinceCode, provinceKey, wardCode, wardKey FROM admin_units"):
        new_province[pkey] = pcode
        new_ward[(pkey, _key(wkey))] = wcode
    old_to_new_province = {old: new for new, olds in data["DICT_PROVINCE"].items() for old in olds}
    undivided: dict[str, tuple[str, str]] = {}
    for new_pkey, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, olds in wards.items():
            for old in olds:
                undivided[old] = (new_pkey, new_wkey)
    divided: dict[str, tuple[str, str]] = {}
    for new_pkey, olds in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, options in olds.items():
            default = next((o for o in options if o["isDefaultNewWard"]), options[0] if options else None)
            if default is not None:
                divided[old] = (new_pkey, default["newWardKey"])
    successors: dict[str, str] = {}
    for code, (pkey, dkey, wkey) in keys.items():
        if not dkey:  # a province
            target = old_to_new_province.get(pkey)
            if target in new_province:
                successors[code] = new_province[target]
            continue
        old = f"{pkey}_{dkey}_{wkey}"
        hit = undivided.get(old) or divided.get(old)
        if hit is not None and (hit[0], _key(hit[1])) in new_ward:
            successors[code] = new_ward[(hit[0], _key(hit[1]))]
    return successors


@lru_cache(maxsize=1)
def _package_units() -> AdminUnits:
    with _dataset() as conn:
        units, keys = _read_lists(conn)
        successors = _crosswalk(conn, keys)
    return AdminUnits(units, successors)


# ---------------------------------------------------------------------------------------------
# the units a database knows: the package's plus its imports


_DB_CACHE: dict[tuple[Any, ...], tuple[tuple[Any, ...], AdminUnits]] = {}
_DB_CACHE_SIZE = 8


def load_admin_units(source: str | psycopg.Connection | None = None) -> AdminUnits:
    """The administrative units in force by day.

    Without `source`: the package's two lists, read once per process. With a database URL or an
    open connection: the same plus the units imported into that database (`ntm reference
    import-units`) and the validity starts they set, cached per database and rebuilt when the
    imports change (a cheap query tells). A database without imports gives the package's
    object itself. On a connection the queries run in their own (sub)transaction, leaving the
    connection's transaction state as it was."""
    base = _package_units()
    if source is None:
        return base
    if isinstance(source, str):
        import psycopg

        with psycopg.connect(source, autocommit=True) as conn:
            return _with_db_imports(base, conn)
    return _with_db_imports(base, source)


def _clear_cache() -> None:
    _package_units.cache_clear()
    _DB_CACHE.clear()


load_admin_units.cache_clear = _clear_cache  # type: ignore[attr-defined]


def _db_key(conn: psycopg.Connection) -> tuple[Any, ...]:
    return (conn.info.host, conn.info.port, conn.info.dbname)


def _with_db_imports(base: AdminUnits, conn: psycopg.Connection) -> AdminUnits:
    with conn.transaction():
        if conn.execute("SELECT to_regclass('ref.admin_unit_import') IS NULL").fetchone()[0]:
            return base
        state = tuple(conn.execute(
            "SELECT count(*), max(imported_at) FROM ref.admin_unit_import").fetchone())
        if state[0] == 0:
            return base
        key = _db_key(conn)
        cached = _DB_CACHE.get(key)
        if cached is not None and cached[0] == state:
            return cached[1]
        rows = conn.execute(
            "SELECT unit_code, unit_name, unit_level, parent_code, province_code, unit_type, valid_from,"
            " valid_to, list_name FROM ref.admin_unit"
            " WHERE list_name = %s OR (list_name = %s AND valid_from <> %s)",
            (IMPORTED, LEGACY, LEGACY_VALID_FROM)).fetchall()
    starts = {(r[0], r[2]): r[6] for r in rows if r[8] == LEGACY}
    imported = [Unit(*r) for r in rows if r[8] == IMPORTED]
    admin = AdminUnits(_apply_starts(base.all_units(), starts) + imported, base._successors)
    if len(_DB_CACHE) >= _DB_CACHE_SIZE:
        _DB_CACHE.clear()
    _DB_CACHE[key] = (state, admin)
    return admin


def _apply_starts(units: list[Unit], starts: dict[tuple[str, str], date]) -> list[Unit]:
    return [replace(u, valid_from=starts[(u.code, u.level)])
            if u.list_name == LEGACY and (u.code, u.level) in starts else u for u in units]


# ---------------------------------------------------------------------------------------------
# ref.admin_unit


_COLUMNS = ("unit_code", "unit_name", "unit_level", "unit_type", "parent_code", "province_code",
            "valid_from", "valid_to", "successor_code", "list_name")


def reference_rows(admin: AdminUnits) -> list[tuple]:
    """The rows of `ref.admin_unit`, in `_COLUMNS` order: every interval of `admin`."""
    order = {LEGACY: 0, LIST_2025: 1, IMPORTED: 2}
    units = sorted(admin.all_units(), key=lambda u: order[u.list_name])  # stable: package order within
    return [(u.code, u.name, u.level, u.unit_type, u.parent_code, u.province_code, u.valid_from, u.valid_to,
             admin.successor(u.code) if u.list_name == LEGACY else None, u.list_name) for u in units]


def load_reference_table(url: str) -> int:
    """Rewrite `ref.admin_unit` from the package's lists with the imports of
    `ref.admin_unit_import` applied, with COPY, in one transaction (idempotent: running it again
    gives the same rows; imports are never lost). Returns the number of rows. An imported row
    that no longer fits (e.g. after a package upgrade changed the snapshot) is left out of
    `ref.admin_unit` with a warning in the log; it stays in `ref.admin_unit_import`."""
    import psycopg

    base = _package_units()
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("LOCK TABLE ref.admin_unit IN EXCLUSIVE MODE")
        imports = _read_imports(conn)
        derived = derive(base, imports)
        for problem in derived.problems:
            log.warning("imported administrative unit left out: %s", problem)
        _write_reference(conn, derived.admin)
    _DB_CACHE.clear()
    return len(derived.admin.all_units())


def _write_reference(conn: psycopg.Connection, admin: AdminUnits) -> None:
    from psycopg import sql

    conn.execute("DELETE FROM ref.admin_unit")
    with conn.cursor().copy(f"COPY ref.admin_unit ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in reference_rows(admin):
            copy.write_row(row)
    conn.execute(sql.SQL("COMMENT ON TABLE ref.admin_unit IS {}").format(sql.Literal(reference_version())))


# Bump when the way ref.admin_unit is derived changes: `ntm db migrate` then rebuilds it.
_RULES_VERSION = 2


def reference_version() -> str:
    """What `ref.admin_unit` was built from (kept as the table's comment): the package's version
    and the derivation rules' version."""
    from importlib.metadata import version

    return f"built from vietnamadminunits {version('vietnamadminunits')}, rules {_RULES_VERSION}"


def ensure_reference_table(url: str) -> int | None:
    """Load `ref.admin_unit` when it is empty or was built from another package version or
    other rules (imports are re-applied, never lost). Returns the number of rows loaded, or
    None when it was up to date. Run by `ntm db migrate`."""
    import psycopg

    with psycopg.connect(url) as conn:
        filled, built_from = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM ref.admin_unit),"
            " obj_description('ref.admin_unit'::regclass, 'pg_class')").fetchone()
    if filled and built_from == reference_version():
        return None
    return load_reference_table(url)


# ---------------------------------------------------------------------------------------------
# imported lists: `ntm reference import-units FILE`

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
    problems: list[Problem] = []
    header = next(reader, None)
    if header is None:
        raise UnitListError([Problem(1, None, None, "the file is empty: a header row is needed")])
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


_VIETNAMESE_HEADER = {"code": "Mã", "name": "Tên", "type": "Loại", "parent_code": "Mã cấp trên",
                      "valid_from": "Hiệu lực từ", "valid_to": "Hiệu lực đến"}


def _check_row(cells: dict[str, str], columns: dict[str, str], line: int, source: str,
               problems: list[Problem]) -> ImportedUnit | None:
    before = len(problems)

    def bad(key: str, message: str) -> None:
        problems.append(Problem(line, columns[key], cells[key], message))

    code = cells["code"]
    level = _LEVEL_OF_LENGTH.get(len(code)) if code.isdigit() else None
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


def derive(base: AdminUnits, imports: list[ImportedUnit], current: Iterable[ImportedUnit] = ()) -> Derived:
    """Apply imported rows to the package's lists (the rules in the module docstring). Rows that
    break a rule are left out and reported as problems; a conflict between a row of `current`
    (the file being imported) and an earlier import is reported on the current row."""
    problems: list[Problem] = []
    snapshot = {(u.code, u.level): u for u in base.all_units(LEGACY)}
    ours = set(current)

    def where(row: ImportedUnit) -> str:
        return f"line {row.source_line}" if row in ours else \
            f"{row.source_file} line {row.source_line} (imported earlier; --replace drops earlier imports)"

    def report(row: ImportedUnit, column: str, value: str, message: str) -> None:
        if row in ours:
            problems.append(Problem(row.source_line, column, value, message))
        else:
            problems.append(Problem(None, column, value, f"{where(row)}: {message}"))

    groups: dict[tuple[str, str], list[ImportedUnit]] = defaultdict(list)
    for row in imports:
        groups[(row.code, row.level)].append(row)
    kept: list[ImportedUnit] = []
    starts: dict[tuple[str, str], date] = {}
    continuing: list[ImportedUnit] = []
    for key, rows in groups.items():
        rows.sort(key=lambda r: (r.valid_from, r not in ours))
        good: list[ImportedUnit] = []
        for row in rows:
            clash = next((g for g in good if g.covers(row.valid_from, row.valid_to)), None)
            if clash is None:
                good.append(row)
                continue
            dropped, other = (clash, row) if clash in ours and row not in ours else (row, clash)
            report(dropped, "valid_from", dropped.valid_from.isoformat(),
                   f"{dropped.code} from {dropped.valid_from} to {dropped.valid_to or 'now'} overlaps "
                   f"{where(other)} ({other.valid_from} to {other.valid_to or 'now'}): the intervals of one "
                   f"code never overlap")
            if dropped is clash:
                good[good.index(clash)] = row
        in_snapshot = key in snapshot
        last_end: date | None = None
        for row in good:
            if row.valid_to is not None and row.valid_to < SNAPSHOT_DATE:
                kept.append(row)  # ended before the snapshot: a historical unit of its own
                last_end = row.valid_to if last_end is None else max(last_end, row.valid_to)
            elif not in_snapshot:
                report(row, "valid_to", row.valid_to.isoformat() if row.valid_to else "",
                       f"{row.code} ({row.name}) is said to be in force on {SNAPSHOT_DATE}, but the list of "
                       f"that day has no {row.level} {row.code}: give the last day it was in force")
            else:  # still in force on the snapshot day: the snapshot's unit, from this day
                starts[key] = row.valid_from
                continuing.append(row)
        if in_snapshot and last_end is not None:  # a code reused: the snapshot's unit starts after
            starts[key] = max(starts.get(key, LEGACY_VALID_FROM), last_end + timedelta(days=1))

    # intervals of every code in force, for the parents' checks
    units = _apply_starts(base.all_units(), starts)
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
                known = by_code.get(row.parent_code)
                report(row, "parent_code", row.parent_code,
                       f"no {_PARENT_LEVEL[row.level]} {row.parent_code} in force between {row.valid_from} and "
                       f"{row.valid_to}" if known else
                       f"no {_PARENT_LEVEL[row.level]} {row.parent_code}, neither in the built-in list nor imported")
                continue
            province = max(overlapping, key=lambda t: t[0])[2]
        imported.append(Unit(row.code, row.name, row.level, row.parent_code, province, row.unit_type,
                             row.valid_from, row.valid_to, IMPORTED))
        historical.append(row)
    admin = AdminUnits(units + imported, base._successors)
    return Derived(admin, problems, historical, continuing, starts)


def _read_imports(conn: psycopg.Connection) -> list[ImportedUnit]:
    if conn.execute("SELECT to_regclass('ref.admin_unit_import') IS NULL").fetchone()[0]:
        return []
    rows = conn.execute(
        "SELECT unit_code, unit_level, unit_name, unit_type, parent_code, valid_from, valid_to, source_file,"
        " source_line FROM ref.admin_unit_import ORDER BY unit_code, unit_level, valid_from").fetchall()
    return [ImportedUnit(*r) for r in rows]


@dataclass
class ImportSummary:
    file: str
    rows: int
    imported: dict[str, int]  # rows of the file per level
    historical: dict[str, int]  # of which units of their own (ended before the snapshot) per level
    starts_set: dict[str, int]  # snapshot units whose validity start this file set, per level
    starts_set_total: int  # snapshot units with a validity start set, all imports together
    imported_total: int  # rows in ref.admin_unit_import after the import
    unchanged: bool  # the file was imported before, identically
    differs_from_snapshot: list[dict[str, Any]]  # continuing rows whose name or type differ
    ignored_columns: list[str]
    replaced: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _per_level(items: Iterable[str]) -> dict[str, int]:
    counts = Counter(items)
    return {level: counts[level] for level in LEVELS if counts[level]}


def import_units(url: str, path: Path, replace_earlier: bool = False,
                 max_bytes: int = MAX_IMPORT_BYTES) -> ImportSummary:
    """Import an official unit list (format: `FILE_FORMAT`) into `ref.admin_unit_import` and
    re-derive `ref.admin_unit`, in one transaction. Raises `UnitListError` (nothing imported)
    when any row is bad or breaks a rule together with the built-in lists and earlier imports.
    `replace_earlier` drops every earlier import first."""
    import psycopg

    started = time.perf_counter()
    parsed = parse_unit_list(path, max_bytes)
    base = _package_units()
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("LOCK TABLE ref.admin_unit IN EXCLUSIVE MODE")
        existing = [] if replace_earlier else _read_imports(conn)
        new_keys = {r.key for r in parsed.rows}
        before = {r.key: r for r in existing}
        combined = [r for r in existing if r.key not in new_keys] + parsed.rows
        derived = derive(base, combined, current=parsed.rows)
        if derived.problems:  # named by the file's own headers
            problems = [replace(p, column=parsed.columns.get(p.column or "", p.column)) for p in derived.problems]
            raise UnitListError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
        unchanged = not replace_earlier and all(
            r.key in before and _same(before[r.key], r) for r in parsed.rows)
        if replace_earlier:
            conn.execute("DELETE FROM ref.admin_unit_import")
        if not unchanged:
            _upsert_imports(conn, parsed.rows)
        _write_reference(conn, derived.admin)
        total = conn.execute("SELECT count(*) FROM ref.admin_unit_import").fetchone()[0]
    if not unchanged:
        _DB_CACHE.clear()  # (the next lookup would tell from the imports' state anyway)
    ours = {(r.code, r.level) for r in parsed.rows}
    snapshot = {(u.code, u.level): u for u in base.all_units(LEGACY)}
    differs = [{"line": r.source_line, "code": r.code, "imported": f"{r.name} ({r.unit_type})",
                "built_in": f"{s.name} ({s.unit_type})"}
               for r in derived.continuing if r.key in new_keys
               for s in [snapshot[(r.code, r.level)]]
               if fold(r.name) != fold(s.name) or r.unit_type != s.unit_type]
    return ImportSummary(
        file=str(path), rows=len(parsed.rows), imported=_per_level(r.level for r in parsed.rows),
        historical=_per_level(r.level for r in parsed.rows if r.valid_to is not None and r.valid_to < SNAPSHOT_DATE),
        starts_set=_per_level(level for (code, level) in derived.starts if (code, level) in ours),
        starts_set_total=len(derived.starts), imported_total=total, unchanged=unchanged,
        differs_from_snapshot=sorted(differs, key=lambda d: d["line"]),
        ignored_columns=parsed.ignored_columns, replaced=replace_earlier,
        seconds=round(time.perf_counter() - started, 2))


def _same(a: ImportedUnit, b: ImportedUnit) -> bool:
    return (a.name, a.unit_type, a.parent_code, a.valid_to, a.source_file, a.source_line) == \
        (b.name, b.unit_type, b.parent_code, b.valid_to, b.source_file, b.source_line)


def _upsert_imports(conn: psycopg.Connection, rows: list[ImportedUnit]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ref.admin_unit_import (unit_code, unit_level, unit_name, unit_type, parent_code,"
            " valid_from, valid_to, source_file, source_line) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (unit_code, unit_level, valid_from) DO UPDATE SET unit_name = EXCLUDED.unit_name,"
            " unit_type = EXCLUDED.unit_type, parent_code = EXCLUDED.parent_code, valid_to = EXCLUDED.valid_to,"
            " source_file = EXCLUDED.source_file, source_line = EXCLUDED.source_line, imported_at = now()"
            " WHERE (ref.admin_unit_import.unit_name, ref.admin_unit_import.unit_type,"
            " ref.admin_unit_import.parent_code, ref.admin_unit_import.valid_to, ref.admin_unit_import.source_file,"
            " ref.admin_unit_import.source_line) IS DISTINCT FROM (EXCLUDED.unit_name, EXCLUDED.unit_type,"
            " EXCLUDED.parent_code, EXCLUDED.valid_to, EXCLUDED.source_file, EXCLUDED.source_line)",
            [(r.code, r.level, r.name, r.unit_type, r.parent_code, r.valid_from, r.valid_to, r.source_file,
              r.source_line) for r in rows])
