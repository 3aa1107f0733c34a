"""mart_plan and the model and registration columns of mart_progress, on raw rows written as the
loader writes them and a real `dbt build` (tests/fixtures/plans.py, build_plan_scenario: Thanh
Hóa, January-June 2023; Nông Cống 404 with its plan in January, Thường Xuân 396 with a plan
corrected in June, Thọ Xuân 395 with no plan). Every expected figure is computed by hand from
the scenario's rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.fixtures.plans import JAN, JUN, MAR, MAY, PROVINCE, THO_XUAN, THUONG_XUAN
from tests.fixtures.warehouse import query_one, query_rows


def _plan(url: str, unit: str, month: date, level: str = "district") -> dict[str, tuple]:
    rows = query_rows(url, """SELECT indicator, target, actual, round(pct_of_target, 2) AS pct, on_track,
                                     units_planned, plan_submission_id, plan_month
                              FROM marts.mart_plan WHERE unit_level = %s AND unit_code = %s AND month = %s""",
                      level, unit, month)
    return {r["indicator"]: (r["target"], r["actual"], r["pct"], r["on_track"], r["units_planned"],
                             r["plan_submission_id"], r["plan_month"]) for r in rows}


def test_a_plan_corrected_mid_year_replaces_the_targets_from_its_month_on(plan_marts) -> None:
    url, ids = plan_marts
    jan = ids["396_jan"]
    # January plan: 3 NTM xã, 6 model villages; 1 NTM xã and 2 villages in January (1 >= 3 x 1/12)
    assert _plan(url, THUONG_XUAN, JAN) == {
        "communes_ntm": (3, 1, Decimal("33.33"), True, 1, jan, JAN),
        "model_villages": (6, 2, Decimal("33.33"), True, 1, jan, JAN)}
    # March sends no plan sheet: the January plan stays in force; 2 NTM xã, 3 villages
    assert _plan(url, THUONG_XUAN, MAR) == {
        "communes_ntm": (3, 2, Decimal("66.67"), True, 1, jan, JAN),
        "model_villages": (6, 3, Decimal("50.00"), True, 1, jan, JAN)}
    # May: 396 silent, March carried forward, plan unchanged
    assert _plan(url, THUONG_XUAN, MAY)["model_villages"] == (6, 3, Decimal("50.00"), True, 1, jan, JAN)
    # June corrects the plan: 2 NTM xã (reached), 8 villages: 3 < 8 x 6/12 = 4, behind
    jun = ids["396_jun"]
    assert _plan(url, THUONG_XUAN, JUN) == {
        "communes_ntm": (2, 2, Decimal("100.00"), True, 1, jun, JUN),
        "model_villages": (8, 3, Decimal("37.50"), False, 1, jun, JUN)}


def test_a_district_without_a_plan_has_no_rows_never_zero_targets(plan_marts) -> None:
    url, _ = plan_marts
    assert query_rows(url, "SELECT * FROM marts.mart_plan WHERE unit_code = %s", THO_XUAN) == []
    row = query_one(url, """SELECT communes_ntm, model_villages, model_roads, communes_registered_advanced,
                                   communes_registered_model
                            FROM marts.mart_progress WHERE unit_level = 'district' AND unit_code = %s AND month = %s""",
                    THO_XUAN, JUN)
    # 2 NTM xã; no kieu_mau ever, no plan: unknown, not zero
    assert row == {"communes_ntm": 2, "model_villages": None, "model_roads": None,
                   "communes_registered_advanced": None, "communes_registered_model": None}


def test_province_rows_sum_the_districts_that_planned_each_indicator(plan_marts) -> None:
    url, _ = plan_marts
    june = _plan(url, PROVINCE, JUN, level="province")
    # communes_ntm: Nông Cống 28/28 + Thường Xuân 2/2 (corrected); Thọ Xuân (2 NTM xã, no plan) left out
    assert june["communes_ntm"] == (30, 30, Decimal("100.00"), True, 2, None, None)
    # model villages: 45 + 8 targets, 40 + 3 actual: 43 >= 53 x 6/12 = 26.5
    assert june["model_villages"] == (53, 43, Decimal("81.13"), True, 2, None, None)
    # only Nông Cống planned advanced communes: 5 advanced + 1 model = 6 of 7
    assert june["communes_advanced"] == (7, 6, Decimal("85.71"), True, 1, None, None)
    province = query_one(url, """SELECT communes_ntm FROM marts.mart_progress
                                 WHERE unit_level = 'province' AND unit_code = %s AND month = %s""", PROVINCE, JUN)
    assert province["communes_ntm"] == 32   # the mart counts Thọ Xuân's 2 too; the plan compares like with like


def test_model_villages_are_carried_forward_and_registrations_come_from_the_plan_in_force(plan_marts) -> None:
    url, _ = plan_marts
    rows = query_rows(url, """SELECT month, model_villages, model_roads, communes_registered_advanced,
                                     communes_registered_model
                              FROM marts.mart_progress WHERE unit_level = 'district' AND unit_code = %s
                              ORDER BY month""", THUONG_XUAN)
    # villages 2 (Jan), 3 (Mar); June sends no kieu_mau: March's 3 carried; the one registered xã
    # of January's plan; June's corrected plan registers it again
    assert [tuple(r.values()) for r in rows] == [
        (JAN, 2, 1, 1, 0), (date(2023, 2, 1), 2, 1, 1, 0), (MAR, 3, 1, 1, 0), (date(2023, 4, 1), 3, 1, 1, 0),
        (MAY, 3, 1, 1, 0), (JUN, 3, 1, 1, 0)]
    commune = query_rows(url, """SELECT unit_code, model_villages FROM marts.mart_progress
                                 WHERE unit_level = 'commune' AND month = %s AND unit_code IN
                                   (SELECT unit_code FROM ref.admin_unit WHERE parent_code = %s)
                                 ORDER BY unit_code""", MAR, THUONG_XUAN)
    # the xã with a kieu_mau row has 3; the two without a row in a sheet that was sent have 0
    assert sorted(r["model_villages"] for r in commune) == [0, 0, 3]


def test_the_plan_year_is_the_months_year(plan_marts) -> None:
    url, _ = plan_marts
    assert query_rows(url, "SELECT DISTINCT year FROM marts.mart_plan") == [{"year": 2023}]


def test_the_contract_columns_of_marts_md_exist_and_are_documented(plan_marts) -> None:
    url, _ = plan_marts
    required = {
        "mart_plan": "month year unit_code unit_level indicator target actual pct_of_target on_track plan_submission_id",
        "mart_progress": "model_villages model_roads communes_registered_advanced communes_registered_model",
    }
    rows = query_rows(url, """SELECT c.relname AS rel, a.attname AS col, col_description(c.oid, a.attnum) AS doc
                              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                              WHERE n.nspname = 'marts' AND c.relname IN ('mart_plan', 'mart_progress')""")
    docs = {(r["rel"], r["col"]): r["doc"] for r in rows}
    for relation, cols in required.items():
        for col in cols.split():
            assert docs.get((relation, col)), (relation, col)
    types = {r["col"]: r["t"] for r in query_rows(url, """SELECT column_name AS col, data_type AS t
                                                          FROM information_schema.columns
                                                          WHERE table_schema = 'marts' AND table_name = 'mart_plan'""")}
    assert (types["target"], types["actual"], types["pct_of_target"], types["on_track"], types["unit_code"]) == \
        ("integer", "integer", "numeric", "boolean", "text")
