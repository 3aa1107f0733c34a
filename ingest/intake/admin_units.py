"""Vietnam's administrative units from the `vietnamadminunits` package (MIT): the pure lookups.

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
- `imported`: official lists of earlier years (ingest/intake/unit_list.py: the file format and
  the rules that apply them; ingest/store/reference.py: `ref.admin_unit_import`, and the units
  a database knows, `load_admin_units(url)`).

The crosswalk (legacy commune -> 2025 commune) comes from the package's converter data: a
legacy commune that was not divided maps to the one 2025 commune it became part of; a divided
one maps to the package's default successor. Legacy provinces map to the 2025 province that
absorbed them; the five island districts without communes map to their 2025 special zone.

GSO codes are text with leading zeros: province 2 digits, district 3, commune 5.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files

REFORM_DATE = date(2025, 7, 1)
LEGACY_VALID_FROM = date(1900, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)
SNAPSHOT_DATE = LEGACY_VALID_TO  # the day the package's legacy list describes

LEGACY = "legacy"
LIST_2025 = "2025"
IMPORTED = "imported"

LEVELS = ("province", "district", "commune")
LEVEL_OF_LENGTH = {2: "province", 3: "district", 5: "commune"}

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
    if not text.isascii():  # ASCII has neither đ nor anything NFD decomposes
        text = unicodedata.normalize("NFD", text.replace("\u0110", "D").replace("\u0111", "d"))
        text = text.translate(_NO_COMBINING)
    return " ".join(text.lower().split())


class _CombiningMarks(dict[int, int | None]):
    """str.translate's table that drops combining marks: a character is looked up once (the table
    learns the first few thousand it meets), then translate runs in C."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < 8192:
            self[code] = kept
        return kept


_NO_COMBINING = _CombiningMarks()


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
    """Lookups over units keyed by their validity intervals: `package_units()` (the package's
    lists, cached) or ingest.store.reference.load_admin_units(url) (plus a database's imports)."""

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

    def with_units(self, units: Iterable[Unit]) -> AdminUnits:
        """Other units (e.g. with imports applied), the same crosswalk."""
        return AdminUnits(units, self._successors)

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
def package_units() -> AdminUnits:
    with _dataset() as conn:
        units, keys = _read_lists(conn)
        successors = _crosswalk(conn, keys)
    return AdminUnits(units, successors)


def apply_starts(units: list[Unit], starts: dict[tuple[str, str], date]) -> list[Unit]:
    return [replace(u, valid_from=starts[(u.code, u.level)])
            if u.list_name == LEGACY and (u.code, u.level) in starts else u for u in units]
