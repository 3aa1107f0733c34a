"""OCOP in the warehouse, on raw rows written as the loader writes them and a real `dbt build`:
catalogues are never added up, a recognition without `valid_until` lapses after 36 months, the
recognising level, and a product keeps its key across the 1 July 2025 reform. Every expected
figure is counted by hand from the rows below."""

from __future__ import annotations

from datetime import date

from tests.fixtures.ocop import JULY, JULY_2025, JUNE_2025, MAY, THO_XUAN
from tests.fixtures.warehouse import (
    query_rows,
)


def test_the_two_g4_catalogues_fall_in_different_columns(ocop_marts: str) -> None:
    [may] = query_rows(ocop_marts, """SELECT products_total, products_rated, products_preparing, expired, expiring_within_6_months,
                                 products_g1, products_g4, products_1048, products_1048_g1, products_1048_g4
                          FROM marts.mart_ocop WHERE unit_level = 'district' AND unit_code = %s AND month = %s""",
                  THO_XUAN, MAY)
    # May 2023: 4 rated (Thổ cẩm 1048 g4, Mây tre 148 g4, Chiếu cói 1048 g4 by date, Gạo nếp 1048 g1
    # valid to 2023-06-20, so expiring within 6 months), 1 preparing
    assert may == {"products_total": 5, "products_rated": 4, "products_preparing": 1, "expired": 0,
                   "expiring_within_6_months": 1, "products_g1": 0, "products_g4": 1, "products_1048": 3,
                   "products_1048_g1": 1, "products_1048_g4": 2}


def test_a_product_recognised_2020_06_20_without_valid_until_is_expired_in_july_2023(ocop_marts: str) -> None:
    [july] = query_rows(ocop_marts, """SELECT products_rated, expired, products_g4, products_1048, products_1048_g1, products_1048_g4
                           FROM marts.mart_ocop WHERE unit_level = 'province' AND unit_code = '38' AND month = %s""",
                   JULY)
    assert july == {"products_rated": 3, "expired": 1, "products_g4": 1, "products_1048": 2, "products_1048_g1": 0,
                    "products_1048_g4": 2}
    [rice] = query_rows(ocop_marts, """SELECT valid_until, effective_status, catalogue, recognised_by FROM marts.fct_ocop_product
                           WHERE product_name = 'Gạo nếp' AND month = %s""", JULY)
    assert rice == {"valid_until": date(2023, 6, 20), "effective_status": "expired", "catalogue": "1048",
                    "recognised_by": "district"}


def test_catalogue_validity_and_recognising_level_per_product(ocop_marts: str) -> None:
    rows = query_rows(ocop_marts, """SELECT product_name, catalogue, valid_until, recognised_by FROM marts.fct_ocop_product
                         WHERE month = %s AND province_code = '38'""", JULY)
    assert sorted(tuple(r.values()) for r in rows) == [
        ("Chiếu cói", "1048", date(2025, 12, 1), "district"),
        ("Chè búp", "148", None, None),
        ("Gạo nếp", "1048", date(2023, 6, 20), "district"),
        ("Mây tre đan", "148", date(2026, 3, 1), "province"),     # 4 stars; decision + 36 months
        ("Thổ cẩm", "1048", date(2024, 5, 10), "district"),
    ]


def test_a_product_keeps_its_key_across_the_2025_reform(ocop_marts: str) -> None:
    rows = query_rows(ocop_marts, """SELECT month, province_code, product_name, product_key, recognised_by
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


def test_province_rows_follow_the_unit_list_in_force(ocop_marts: str) -> None:
    rows = query_rows(ocop_marts, """SELECT month, unit_code, successor_code, products_rated, products_g1, products_g4
                         FROM marts.mart_ocop WHERE unit_level = 'province' AND month IN (%s, %s)
                         ORDER BY month, unit_code""", JUNE_2025, JULY_2025)
    assert [tuple(r.values()) for r in rows] == [
        (JUNE_2025, "24", "24", 1, 1, 0),    # legacy Bắc Giang, merged into the 2025 Bắc Ninh (24)
        (JUNE_2025, "27", "24", 1, 0, 1),    # legacy Bắc Ninh
        (JULY_2025, "24", None, 3, 2, 1),    # the 2025 Bắc Ninh: no successor
    ]
