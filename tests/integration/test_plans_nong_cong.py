"""The Nông Cống statement of domain.md, through the whole path: two hand-made workbooks of Huyện
Nông Cống (Thanh Hóa, 404) — January 2023 with the year's plan, May 2023 with the statement's
figures and no plan sheet — received, read, validated by Great Expectations, loaded into raw on a
real PostgreSQL, and built by dbt. The rows of mart_progress, mart_ocop, fct_district_status and
mart_plan are compared with figures worked out by hand (tests/fixtures/plans.py):

"The district maintains 9 district criteria; 28 NTM communes; 5 advanced and 1 model commune;
4 communes building toward model, 9 toward advanced; 40 model villages; 37 model roads; 14 OCOP
products, 9 more being prepared for rating, 2 due for re-recognition after expiry."
Plan (issue 12): "to reach 1 advanced and 1 model commune, 5 model villages and 8 OCOP products
this year" -> year-end targets 7 advanced-or-model, 2 model, 45 villages, 22 products (from 6, 1,
40, 14), and 40 roads, 28 NTM xã, the district recognised (1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from ingest import pipeline
from ingest.warehouse.build import build
from tests.fixtures.plans import (
    DISTRICT,
    ROADS,
    VILLAGES,
    XA,
    huyen_rows,
    ke_hoach_rows,
    kieu_mau_rows,
    nong_cong_sheets,
    ocop_rows,
    workbook,
)
from tests.fixtures.warehouse import query_one, query_rows

MAY = date(2023, 5, 1)


def _ingest_nong_cong(url: str, tmp_path: Path) -> list:
    january_villages = {**VILLAGES, XA[0]: 1, XA[1]: 1}   # 38: two villages recognised since
    january_roads = {**ROADS, XA[0]: 1, XA[1]: 1}         # 35
    jan = workbook(tmp_path / "2023-01_404_v1.xlsx", nong_cong_sheets(
        "2023-01", kieu_mau=kieu_mau_rows(january_villages, january_roads), ke_hoach=ke_hoach_rows(),
        ocop=ocop_rows(), tieu_chi_huyen=huyen_rows()))
    may = workbook(tmp_path / "2023-05_404_v1.xlsx", nong_cong_sheets(
        "2023-05", kieu_mau=kieu_mau_rows(plain_labels=True), ocop=ocop_rows(), tieu_chi_huyen=huyen_rows()))
    return pipeline.ingest_paths([str(jan), str(may)], url, build_docs=False)


def test_the_nong_cong_statement_is_one_row_of_each_mart(url: str, tmp_path: Path) -> None:
    outcomes = _ingest_nong_cong(url, tmp_path)
    assert [o.status for o in outcomes] == ["accepted", "accepted"], [o.findings for o in outcomes]
    assert not [f for o in outcomes for f in o.findings if f.severity == "error"]
    result = build(url)
    assert result.success, [str(f) for f in result.failures]

    progress = query_one(url, """
        SELECT communes_expected, communes_total, communes_ntm, communes_advanced, communes_model,
               pct_communes_ntm, titles_at_risk, model_villages, model_roads,
               communes_registered_advanced, communes_registered_model
        FROM marts.mart_progress WHERE unit_level = 'district' AND unit_code = %s AND month = %s""", DISTRICT, MAY)
    assert progress == {"communes_expected": 28, "communes_total": 28, "communes_ntm": 28, "communes_advanced": 5,
                        "communes_model": 1, "pct_communes_ntm": Decimal("100.0000000000000000"), "titles_at_risk": 0,
                        "model_villages": 40, "model_roads": 37, "communes_registered_advanced": 9,
                        "communes_registered_model": 4}

    ocop = query_one(url, """SELECT products_rated, products_preparing, expired FROM marts.mart_ocop
                             WHERE unit_level = 'district' AND unit_code = %s AND month = %s""", DISTRICT, MAY)
    assert ocop == {"products_rated": 14, "products_preparing": 9, "expired": 2}
    district = query_one(url, """SELECT criteria_met, criteria_total, district_title FROM marts.fct_district_status
                                 WHERE district_code = %s AND month = %s""", DISTRICT, MAY)
    assert district == {"criteria_met": 9, "criteria_total": 9, "district_title": "ntm"}

    plan = query_rows(url, """SELECT indicator, target, actual, round(pct_of_target, 2) AS pct, on_track, plan_month
                              FROM marts.mart_plan WHERE unit_level = 'district' AND unit_code = %s AND month = %s
                              ORDER BY indicator""", DISTRICT, MAY)
    jan = date(2023, 1, 1)
    # May = month 5: on track when actual >= target x 5/12 (or the target is reached)
    assert [tuple(r.values()) for r in plan] == [
        ("communes_advanced", 7, 6, Decimal("85.71"), True, jan),    # 5 advanced + 1 model of 7
        ("communes_model", 2, 1, Decimal("50.00"), True, jan),       # 1 >= 0.83
        ("communes_ntm", 28, 28, Decimal("100.00"), True, jan),
        ("district_ntm", 1, 1, Decimal("100.00"), True, jan),
        ("model_roads", 40, 37, Decimal("92.50"), True, jan),
        ("model_villages", 45, 40, Decimal("88.89"), True, jan),
        ("ocop_products", 22, 14, Decimal("63.64"), True, jan),      # 14 rated of 22
    ]
    # January: 38 villages and 35 roads then; the same plan
    january = {r["indicator"]: r["actual"] for r in query_rows(
        url, "SELECT indicator, actual FROM marts.mart_plan WHERE unit_code = %s AND month = %s", DISTRICT, jan)}
    assert (january["model_villages"], january["model_roads"]) == (38, 35)
