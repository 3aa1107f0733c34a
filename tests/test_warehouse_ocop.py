"""OCOP in the warehouse, on raw rows written as the loader writes them and a real `dbt build`:
catalogues are never added up, a recognition without `valid_until` lapses after 36 months, the
recognising level, and a product keeps its key across the 1 July 2025 reform. Every expected
figure is counted by hand from the rows below."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from warehouse_fixtures import (
    Commune,
    Funding,
    Product,
    add_communes,
    add_funding,
    add_ocop,
    add_submission,
    query_rows,
)

from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build

MAY, JULY = date(2023, 5, 1), date(2023, 7, 1)
JUNE_2025, JULY_2025 = date(2025, 6, 1), date(2025, 7, 1)
THO_XUAN, XUAN_HONG = "395", "15493"     # Thanh Hóa (38): district 395, its xã Xuân Hồng
BAC_GIANG_DISTRICT, QUYNH_SON = "213", "07702"   # legacy Bắc Giang (24); Quỳnh Sơn -> 07682 in 2025
BAC_NINH_DISTRICT, TAM_DA = "258", "09199"       # legacy Bắc Ninh (27); Tam Đa -> 09208 in 2025


def _products_2023() -> list[Product]:
    return [
        # textiles, rated under Decision 1048 (the reader named the catalogue)
        Product("Thổ cẩm", XUAN_HONG, "rated", 3, "g4", date(2021, 5, 10), date(2024, 5, 10), catalogue="1048"),
        # handicrafts, rated under Decision 148
        Product("Mây tre đan", XUAN_HONG, "rated", 4, "g4", date(2023, 3, 1), None, catalogue="148"),
        # a bare code decided before 24 Feb 2023: 1048 by date
        Product("Chiếu cói", XUAN_HONG, "rated", 3, "g4", date(2022, 12, 1), date(2025, 12, 1)),
        # recognised 2020-06-20 without valid_until: valid to 2023-06-20
        Product("Gạo nếp", XUAN_HONG, "rated", 3, "g1", date(2020, 6, 20), None),
        Product("Chè búp", XUAN_HONG, "preparing", None, "g2"),
    ]


def _month(conn: psycopg.Connection, unit: str, province: str, period: date, communes: list[str],
           products: list[Product]) -> int:
    sid = add_submission(conn, unit, province, period)
    add_communes(conn, sid, [Commune(c, 10) for c in communes])
    add_funding(conn, sid, [Funding(unit, "ns_tinh", 100)])
    add_ocop(conn, sid, products)
    return sid


@pytest.fixture(scope="module")
def url(module_database_url: str) -> str:
    url = module_database_url
    load_reference_table(url)
    with psycopg.connect(url) as conn:
        for period in (MAY, JULY):
            _month(conn, THO_XUAN, "38", period, [XUAN_HONG], _products_2023())
        # across the reform: the same two products, before (two legacy provinces) and after
        honey = Product("Mật ong Bắc Giang", QUYNH_SON, "rated", 3, "g1", date(2024, 5, 1), None, catalogue="148")
        pottery = Product("Gốm", TAM_DA, "rated", 4, "g4", date(2024, 1, 1), None, code="BN-01", catalogue="148")
        _month(conn, BAC_GIANG_DISTRICT, "24", JUNE_2025, [QUYNH_SON], [honey])
        _month(conn, BAC_NINH_DISTRICT, "27", JUNE_2025, [TAM_DA], [pottery])
        _month(conn, "24", "24", JULY_2025, ["07682", "09208"], [
            Product("Mật ong Bắc Giang", "07682", "rated", 3, "g1", date(2024, 5, 1), None, catalogue="148"),
            Product("Gốm", "09208", "rated", 4, "g4", date(2024, 1, 1), None, code="BN-01", catalogue="148"),
            Product("Bánh", "09208", "rated", 3, "g1", date(2025, 7, 15), None, code="BN-02")])
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    return url


def test_the_two_g4_catalogues_fall_in_different_columns(url: str) -> None:
    [may] = query_rows(url, """SELECT products_total, products_rated, products_preparing, expired, expiring_within_6_months,
                                 products_g1, products_g4, products_1048, products_1048_g1, products_1048_g4
                          FROM marts.mart_ocop WHERE unit_level = 'district' AND unit_code = %s AND month = %s""",
                  THO_XUAN, MAY)
    # May 2023: 4 rated (Thổ cẩm 1048 g4, Mây tre 148 g4, Chiếu cói 1048 g4 by date, Gạo nếp 1048 g1
    # valid to 2023-06-20, so expiring within 6 months), 1 preparing
    assert may == {"products_total": 5, "products_rated": 4, "products_preparing": 1, "expired": 0,
                   "expiring_within_6_months": 1, "products_g1": 0, "products_g4": 1, "products_1048": 3,
                   "products_1048_g1": 1, "products_1048_g4": 2}


def test_a_product_recognised_2020_06_20_without_valid_until_is_expired_in_july_2023(url: str) -> None:
    [july] = query_rows(url, """SELECT products_rated, expired, products_g4, products_1048, products_1048_g1, products_1048_g4
                           FROM marts.mart_ocop WHERE unit_level = 'province' AND unit_code = '38' AND month = %s""",
                   JULY)
    assert july == {"products_rated": 3, "expired": 1, "products_g4": 1, "products_1048": 2, "products_1048_g1": 0,
                    "products_1048_g4": 2}
    [rice] = query_rows(url, """SELECT valid_until, effective_status, catalogue, recognised_by FROM marts.fct_ocop_product
                           WHERE product_name = 'Gạo nếp' AND month = %s""", JULY)
    assert rice == {"valid_until": date(2023, 6, 20), "effective_status": "expired", "catalogue": "1048",
                    "recognised_by": "district"}


def test_catalogue_validity_and_recognising_level_per_product(url: str) -> None:
    rows = query_rows(url, """SELECT product_name, catalogue, valid_until, recognised_by FROM marts.fct_ocop_product
                         WHERE month = %s AND province_code = '38'""", JULY)
    assert sorted(tuple(r.values()) for r in rows) == [
        ("Chiếu cói", "1048", date(2025, 12, 1), "district"),
        ("Chè búp", "148", None, None),
        ("Gạo nếp", "1048", date(2023, 6, 20), "district"),
        ("Mây tre đan", "148", date(2026, 3, 1), "province"),     # 4 stars; decision + 36 months
        ("Thổ cẩm", "1048", date(2024, 5, 10), "district"),
    ]


def test_a_product_keeps_its_key_across_the_2025_reform(url: str) -> None:
    rows = query_rows(url, """SELECT month, province_code, product_name, product_key, recognised_by
                         FROM marts.fct_ocop_product WHERE month IN (%s, %s) ORDER BY month, product_name""",
                 JUNE_2025, JULY_2025)
    keys = {(r["month"], r["product_name"]): r["product_key"] for r in rows}
    assert keys[(JUNE_2025, "Gốm")] == keys[(JULY_2025, "Gốm")] == "24:BN-01"   # legacy Bắc Ninh 27 -> 24
    honey = keys[(JUNE_2025, "Mật ong Bắc Giang")]
    assert honey == keys[(JULY_2025, "Mật ong Bắc Giang")] and honey.startswith("24:h")
    assert len({r["product_key"] for r in rows}) == 3                          # Gốm, the honey, Bánh
    assert {(r["month"], r["province_code"]) for r in rows if r["product_name"] == "Gốm"} == \
        {(JUNE_2025, "27"), (JULY_2025, "24")}                                  # reported as it was
    by_name = {(r["month"], r["product_name"]): r["recognised_by"] for r in rows}
    # 3 stars: the district recognised the honey (2024), the province the cake (2025-07-15)
    assert by_name[(JULY_2025, "Mật ong Bắc Giang")] == "district" and by_name[(JULY_2025, "Bánh")] == "province"


def test_province_rows_follow_the_unit_list_in_force(url: str) -> None:
    rows = query_rows(url, """SELECT month, unit_code, successor_code, products_rated, products_g1, products_g4
                         FROM marts.mart_ocop WHERE unit_level = 'province' AND month IN (%s, %s)
                         ORDER BY month, unit_code""", JUNE_2025, JULY_2025)
    assert [tuple(r.values()) for r in rows] == [
        (JUNE_2025, "24", "24", 1, 1, 0),    # legacy Bắc Giang, merged into the 2025 Bắc Ninh (24)
        (JUNE_2025, "27", "24", 1, 0, 1),    # legacy Bắc Ninh
        (JULY_2025, "24", None, 3, 2, 1),    # the 2025 Bắc Ninh: no successor
    ]
