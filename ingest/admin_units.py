"""Vietnam's administrative units, from the `vietnamadminunits` package (MIT).

Two lists (domain.md, "Administrative units"):

- `legacy`: 63 provinces, 696 districts, 10,035 communes (wards, townships), in force until
  2025-06-30. The package carries one snapshot of it (as of just before the 2025 reform); the
  pipeline applies that snapshot to every earlier period too, because history is backfilled
  from years before the snapshot and no earlier list is available. In `ref.admin_unit` legacy
  rows therefore have `valid_from = 1900-01-01` (a sentinel meaning "since before any
  submission") and `valid_to = 2025-06-30`.
- `2025`: 34 provinces and 3,321 communes, no districts, from 2025-07-01 (`valid_to` null).

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
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files

import psycopg

REFORM_DATE = date(2025, 7, 1)
LEGACY_VALID_FROM = date(1900, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)

LEGACY = "legacy"
LIST_2025 = "2025"

_COMMUNE_PREFIXES = ("thi tran", "phuong", "dac khu", "xa")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # "province" | "district" | "commune"
    parent_code: str | None
    province_code: str
    unit_type: str | None


def fold(text: str) -> str:
    """NFC, lower case, without diacritics (đ -> d), single spaces: the key for name matching."""
    text = unicodedata.normalize("NFD", text.replace("\u0110", "D").replace("\u0111", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


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


class AdminUnits:
    """Lookups over both lists. Build with `load_admin_units()` (cached)."""

    def __init__(self, units: dict[str, list[Unit]], successors: dict[str, str]) -> None:
        self._units = units
        self._successors = successors
        self._by_code: dict[str, dict[str, Unit]] = {}
        self._children: dict[str, dict[str, list[Unit]]] = {}
        self._communes: dict[str, dict[str, list[Unit]]] = {}
        for list_name, rows in units.items():
            self._by_code[list_name] = {u.code: u for u in rows}
            children: dict[str, list[Unit]] = defaultdict(list)
            communes: dict[str, list[Unit]] = defaultdict(list)
            for u in rows:
                if u.parent_code is not None:
                    children[u.parent_code].append(u)
                if u.level == "commune":
                    communes[u.province_code].append(u)
                    if u.parent_code != u.province_code and u.parent_code is not None:
                        communes[u.parent_code].append(u)
            self._children[list_name] = dict(children)
            self._communes[list_name] = dict(communes)

    @staticmethod
    def list_for(on: date) -> str:
        """`legacy` before 2025-07-01, `2025` from then on."""
        return LEGACY if on < REFORM_DATE else LIST_2025

    def all_units(self, list_name: str) -> list[Unit]:
        return list(self._units[list_name])

    def unit(self, code: str, on: date) -> Unit | None:
        return self._by_code[self.list_for(on)].get(code)

    def communes_of(self, unit_code: str, on: date) -> list[Unit]:
        list_name = self.list_for(on)
        found = self._by_code[list_name].get(unit_code)
        if found is None:
            return []
        if found.level == "commune":
            return [found]
        return list(self._communes[list_name].get(unit_code, []))

    def find_commune_by_name(self, name: str, parent_code: str, on: date) -> list[Unit]:
        """Communes under `parent_code` whose name matches: an exact (folded) full-name match
        wins ("Xã Thọ Xuân" over "Thị trấn Thọ Xuân"); else the name without its type prefix."""
        wanted = fold(unicodedata.normalize("NFC", name))
        if not wanted:
            return []
        candidates = self.communes_of(parent_code, on)
        exact = [u for u in candidates if fold(u.name) == wanted]
        if exact:
            return exact
        short = _strip_prefix(wanted)
        return [u for u in candidates if _strip_prefix(fold(u.name)) == short]

    def districts_of(self, province_code: str, on: date) -> list[Unit]:
        list_name = self.list_for(on)
        return [u for u in self._children[list_name].get(province_code, []) if u.level == "district"]

    def provinces(self, on: date) -> list[Unit]:
        return [u for u in self._units[self.list_for(on)] if u.level == "province"]

    def successor(self, legacy_commune_code: str) -> str | None:
        """The 2025 unit a legacy commune (or province, or island district) became part of."""
        return self._successors.get(legacy_commune_code)


def _dataset() -> sqlite3.Connection:
    path = files("vietnamadminunits") / "data" / "dataset.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _read_lists(conn: sqlite3.Connection) -> tuple[dict[str, list[Unit]], dict[str, tuple[str, str, str]]]:
    """Both lists, and for each legacy commune / district its package keys (for the crosswalk)."""
    legacy: list[Unit] = []
    keys: dict[str, tuple[str, str, str]] = {}
    seen: set[str] = set()
    rows = conn.execute(
        "SELECT province, provinceCode, provinceKey, district, districtCode, districtType, districtKey,"
        " ward, wardCode, wardType, wardKey FROM admin_units_legacy"
        " ORDER BY provinceCode, districtCode, wardCode")
    for (pname, pcode, pkey, dname, dcode, dtype, dkey, wname, wcode, wtype, wkey) in rows:
        if pcode not in seen:
            seen.add(pcode)
            legacy.append(Unit(pcode, pname, "province", None, pcode, _province_type(pname)))
            keys[pcode] = (pkey, "", "")
        if dcode not in seen:
            seen.add(dcode)
            legacy.append(Unit(dcode, dname, "district", pcode, pcode, dtype))
            keys[dcode] = (pkey, dkey, "")
        if wcode:
            legacy.append(Unit(wcode, wname, "commune", dcode, pcode, wtype))
            keys[wcode] = (pkey, dkey, wkey)
    new: list[Unit] = []
    seen.clear()
    rows = conn.execute("SELECT province, provinceCode, ward, wardCode, wardType FROM admin_units"
                        " ORDER BY provinceCode, wardCode")
    for pname, pcode, wname, wcode, wtype in rows:
        if pcode not in seen:
            seen.add(pcode)
            new.append(Unit(pcode, pname, "province", None, pcode, _province_type(pname)))
        new.append(Unit(wcode, wname, "commune", pcode, pcode, wtype))
    return {LEGACY: legacy, LIST_2025: new}, keys


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
def load_admin_units() -> AdminUnits:
    """Both lists and the crosswalk, read once per process from the package's data."""
    with _dataset() as conn:
        units, keys = _read_lists(conn)
        successors = _crosswalk(conn, keys)
    return AdminUnits(units, successors)


_COLUMNS = ("unit_code", "unit_name", "unit_level", "unit_type", "parent_code", "province_code",
            "valid_from", "valid_to", "successor_code", "list_name")


def reference_rows(admin: AdminUnits) -> list[tuple]:
    """The rows of `ref.admin_unit`, in `_COLUMNS` order."""
    rows: list[tuple] = []
    for u in admin.all_units(LEGACY):
        rows.append((u.code, u.name, u.level, u.unit_type, u.parent_code, u.province_code,
                     LEGACY_VALID_FROM, LEGACY_VALID_TO, admin.successor(u.code), LEGACY))
    for u in admin.all_units(LIST_2025):
        rows.append((u.code, u.name, u.level, u.unit_type, u.parent_code, u.province_code,
                     REFORM_DATE, None, None, LIST_2025))
    return rows


def load_reference_table(url: str) -> int:
    """Replace the content of `ref.admin_unit` with both lists, with COPY, in one transaction
    (idempotent: running it again gives the same rows). Returns the number of rows."""
    rows = reference_rows(load_admin_units())
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("DELETE FROM ref.admin_unit")
        with conn.cursor().copy(f"COPY ref.admin_unit ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return len(rows)
