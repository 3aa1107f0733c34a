"""Administrative units: both lists, lookups, the crosswalk and ref.admin_unit."""

from __future__ import annotations

import unicodedata
from datetime import date

import psycopg
import pytest

from ingest.intake.admin_units import AdminUnits
from ingest.store.reference import load_admin_units, load_reference_table

LEGACY_DAY = date(2024, 5, 31)
NEW_DAY = date(2025, 7, 31)


def test_list_for_switches_on_the_reform_date(admin: AdminUnits) -> None:
    assert admin.list_for(date(2025, 6, 30)) == "legacy"
    assert admin.list_for(date(2025, 7, 1)) == "2025"
    assert admin.list_for(date(2019, 1, 31)) == "legacy"


def test_legacy_counts(admin: AdminUnits) -> None:
    provinces = admin.provinces(LEGACY_DAY)
    assert len(provinces) == 63
    districts = [d for p in provinces for d in admin.districts_of(p.code, LEGACY_DAY)]
    assert len(districts) == 696
    communes = [c for p in provinces for c in admin.communes_of(p.code, LEGACY_DAY)]
    assert 10_000 <= len(communes) <= 10_100
    assert len({c.code for c in communes}) == len(communes)
    assert all(len(p.code) == 2 for p in provinces)
    assert all(len(d.code) == 3 for d in districts)
    assert all(len(c.code) == 5 and c.code.isdigit() for c in communes)


def test_2025_counts_and_no_districts(admin: AdminUnits) -> None:
    provinces = admin.provinces(NEW_DAY)
    assert len(provinces) == 34
    communes = [c for p in provinces for c in admin.communes_of(p.code, NEW_DAY)]
    assert len(communes) == 3321
    assert all(admin.districts_of(p.code, NEW_DAY) == [] for p in provinces)
    assert all(c.parent_code == c.province_code for c in communes)


def test_a_known_district_of_thanh_hoa(admin: AdminUnits) -> None:
    province = admin.unit("38", LEGACY_DAY)
    assert province is not None and province.name == "Tỉnh Thanh Hóa" and province.level == "province"
    assert province.unit_type == "Tỉnh"
    codes = {d.code: d for d in admin.districts_of("38", LEGACY_DAY)}
    tho_xuan = codes["395"]
    assert tho_xuan.name == "Huyện Thọ Xuân" and tho_xuan.unit_type == "Huyện"
    communes = admin.communes_of("395", LEGACY_DAY)
    assert len(communes) == 30
    assert all(c.parent_code == "395" and c.province_code == "38" for c in communes)
    # a commune is its own commune list; unknown codes give nothing
    assert admin.communes_of("15583", LEGACY_DAY) == [admin.unit("15583", LEGACY_DAY)]
    assert admin.communes_of("999", LEGACY_DAY) == []
    assert admin.unit("395", NEW_DAY) is None  # no districts after the reform


def test_unit_follows_the_list_in_force(admin: AdminUnits) -> None:
    legacy = admin.unit("00001", LEGACY_DAY)
    assert legacy is not None and legacy.name == "Phường Phúc Xá" and legacy.parent_code == "001"
    assert admin.unit("00001", NEW_DAY) is None  # merged away
    assert admin.unit("00004", NEW_DAY).name == "Phường Ba Đình"


@pytest.mark.parametrize("written", [
    "Xã Xuân Lai", "xuân lai", "XA XUAN LAI", "Xuan  Lai ", "xã xuan lai",
    unicodedata.normalize("NFD", "Xã Xuân Lai"),
])
def test_find_commune_by_name_variants(admin: AdminUnits, written: str) -> None:
    found = admin.find_commune_by_name(written, "395", LEGACY_DAY)
    assert [u.code for u in found] == ["15583"]


def test_find_commune_by_name_prefers_the_written_type(admin: AdminUnits) -> None:
    # the full name, with its type, matches exactly; the short name finds the same unit
    found = admin.find_commune_by_name("Thị trấn Thọ Xuân", "395", LEGACY_DAY)
    assert [u.name for u in found] == ["Thị trấn Thọ Xuân"]
    assert admin.find_commune_by_name("tho xuan", "395", LEGACY_DAY) == found


def test_find_commune_by_name_misses(admin: AdminUnits) -> None:
    assert admin.find_commune_by_name("Xuân Lai", "380", LEGACY_DAY) == []  # other district
    assert admin.find_commune_by_name("", "395", LEGACY_DAY) == []
    assert admin.find_commune_by_name("Không Có", "395", LEGACY_DAY) == []
    # by province too, and in the 2025 list
    assert [u.code for u in admin.find_commune_by_name("Xuân Lai", "38", LEGACY_DAY)] == ["15583"]
    assert [u.code for u in admin.find_commune_by_name("phuong ba dinh", "01", NEW_DAY)] == ["00004"]


def test_ambiguous_short_names_return_every_match(admin: AdminUnits) -> None:
    # the same short name under one province, in different districts
    by_short: dict[str, list[str]] = {}
    for c in admin.communes_of("38", LEGACY_DAY):
        by_short.setdefault(c.name.split(" ", 1)[1] if c.name.startswith("Xã ") else c.name, []).append(c.code)
    name, codes = next((n, cs) for n, cs in by_short.items() if len(cs) > 1)
    assert sorted(u.code for u in admin.find_commune_by_name(name, "38", LEGACY_DAY)) == sorted(codes)


def test_crosswalk(admin: AdminUnits) -> None:
    assert admin.successor("00001") == "00097"  # Phúc Xá -> Phường Hồng Hà (Hà Nội)
    assert admin.successor("15583") == "15592"  # Xuân Lai (Thọ Xuân) -> Xã Xuân Lập
    assert admin.successor("49") == "48"  # Quảng Nam -> Đà Nẵng
    assert admin.successor("38") == "38"
    assert admin.successor("318") == "11948"  # island district Bạch Long Vĩ -> special zone
    assert admin.successor("99999") is None
    legacy_communes = [u for p in admin.provinces(LEGACY_DAY) for u in admin.communes_of(p.code, LEGACY_DAY)]
    successors = {admin.successor(u.code) for u in legacy_communes}
    assert None not in successors
    # every successor is a 2025 commune of the 2025 province that took the legacy province
    for u in legacy_communes[::97]:
        new = admin.unit(admin.successor(u.code), NEW_DAY)
        assert new is not None and new.level == "commune"
        assert new.province_code == admin.successor(u.province_code)
    assert len(successors) > 3000


def test_package_lists_are_read_once_per_process() -> None:
    first = load_admin_units()
    assert load_admin_units() is first
    load_admin_units.cache_clear()
    again = load_admin_units()
    assert again is not first and again is load_admin_units()
    assert len(again.all_units()) == len(first.all_units())


def test_load_reference_table_twice_gives_the_same_rows(database_url: str) -> None:
    query = "SELECT * FROM ref.admin_unit ORDER BY list_name, unit_level, unit_code"
    first = load_reference_table(database_url)
    with psycopg.connect(database_url) as conn:
        rows_first = conn.execute(query).fetchall()
    second = load_reference_table(database_url)
    with psycopg.connect(database_url) as conn:
        rows_second = conn.execute(query).fetchall()
        counts = dict(conn.execute(
            "SELECT list_name || ':' || unit_level, count(*) FROM ref.admin_unit GROUP BY 1").fetchall())
        window = conn.execute(
            "SELECT DISTINCT list_name, valid_from, valid_to FROM ref.admin_unit ORDER BY 1").fetchall()
        xa = conn.execute("SELECT unit_name, parent_code, province_code, successor_code, unit_type"
                          " FROM ref.admin_unit WHERE unit_code = '15583'").fetchall()
    assert first == second == len(rows_first) == len(rows_second)
    assert rows_first == rows_second
    assert counts == {"legacy:province": 63, "legacy:district": 696, "legacy:commune": 10035,
                      "2025:province": 34, "2025:commune": 3321}
    assert window == [("2025", date(2025, 7, 1), None), ("legacy", date(1900, 1, 1), date(2025, 6, 30))]
    assert xa == [("Xã Xuân Lai", "395", "38", "15592", "Xã")]


# ---------------------------------------------------------------------------------------------
# units keyed by validity intervals


def test_a_reused_code_names_the_unit_in_force_each_side_of_the_reform(admin: AdminUnits) -> None:
    # 00103 was Phường Xuân La (Tây Hồ, Hà Nội) until 2025-06-30; it merged into 00611, and the
    # code now names Phường Tây Hồ: one of the 35 codes that name different units in the lists.
    before, after = date(2025, 6, 30), date(2025, 7, 1)
    old, new = admin.unit("00103", before), admin.unit("00103", after)
    assert (old.name, old.list_name, old.parent_code, old.valid_to) == ("Phường Xuân La", "legacy", "003", before)
    assert (new.name, new.list_name, new.parent_code, new.valid_from) == ("Phường Tây Hồ", "2025", "01", after)
    assert admin.successor("00103") == "00611"
    assert [u.name for u in admin.intervals("00103")] == ["Phường Xuân La", "Phường Tây Hồ"]
    assert old in admin.communes_of("01", before) and new not in admin.communes_of("01", before)
    assert new in admin.communes_of("01", after) and old not in admin.communes_of("01", after)
    assert [u.code for u in admin.find_commune_by_name("Xuân La", "01", before)] == ["00103"]
    assert admin.find_commune_by_name("Xuân La", "01", after) == []
    assert [u.code for u in admin.find_commune_by_name("Tây Hồ", "01", after)] == ["00103"]
    # a province code in both lists: Hà Nội is the same name, but two intervals
    assert [(u.list_name, u.valid_from) for u in admin.intervals("01")] == [
        ("legacy", date(1900, 1, 1)), ("2025", date(2025, 7, 1))]


def test_units_carry_their_interval_and_type(admin: AdminUnits) -> None:
    xa = admin.unit("15583", LEGACY_DAY)
    assert (xa.valid_from, xa.valid_to, xa.list_name, xa.is_xa) == (date(1900, 1, 1), date(2025, 6, 30), "legacy", True)
    town = admin.unit("00004", LEGACY_DAY)
    assert town.unit_type == "Phường" and not town.is_xa
    assert sum(u.is_xa for u in admin.communes_of("395", LEGACY_DAY)) == 27  # Thọ Xuân: 27 xã, 3 thị trấn
    assert admin.all_units("imported") == []


def test_lookups_follow_intervals_day_by_day() -> None:
    from ingest.intake.admin_units import Unit

    def unit(code, name, level, parent, valid_from, valid_to, unit_type="Xã"):
        return Unit(code, name, level, parent, "20", unit_type, valid_from, valid_to, "imported")

    units = [
        unit("20", "Tỉnh Lạng Sơn", "province", None, date(2004, 1, 1), None, "Tỉnh"),
        unit("182", "Huyện Văn Lãng", "district", "20", date(2004, 1, 1), None, "Huyện"),
        unit("06148", "Xã Tân Hòa", "commune", "182", date(2004, 1, 1), date(2019, 12, 31)),
        unit("06148", "Xã Thanh Long", "commune", "182", date(2020, 1, 1), None),
        unit("06130", "Xã Tân Lang", "commune", "182", date(2004, 1, 1), date(2019, 12, 31)),
    ]
    admin = AdminUnits(units, {})
    last, first = date(2019, 12, 31), date(2020, 1, 1)
    assert admin.unit("06148", last).name == "Xã Tân Hòa"
    assert admin.unit("06148", first).name == "Xã Thanh Long"
    assert admin.unit("06148", date(2003, 12, 31)) is None
    # the cache is per interval of days in which nothing changes: ask across the boundary, back and forth
    for _ in range(2):
        assert [u.name for u in admin.communes_of("182", last)] == ["Xã Tân Hòa", "Xã Tân Lang"]
        assert [u.name for u in admin.communes_of("20", first)] == ["Xã Thanh Long"]
    assert [u.code for u in admin.find_commune_by_name("Tân Lang", "182", last)] == ["06130"]
    assert admin.find_commune_by_name("Tân Lang", "182", first) == []
    assert [u.code for u in admin.districts_of("20", first)] == ["182"]
    assert [u.code for u in admin.provinces(first)] == ["20"] and admin.provinces(date(2003, 1, 1)) == []
    # callers may change the lists they get without changing the next answer
    admin.communes_of("182", last).clear()
    assert len(admin.communes_of("182", last)) == 2
