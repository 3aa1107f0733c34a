"""Mart reconciliation (raw vs marts) on a real dbt build: clean marts pass; a mart row altered,
removed or invented after the build is caught with the check's name, relation and figures."""

from __future__ import annotations

import psycopg
import pytest

from ingest.quality.suites import MART
from ingest.store.runs import record_runs
from ingest.warehouse.reconcile import CHECKS, check_marts
from tests.fixtures.mart_checks import APRIL, MAY


def _tamper(url: str, sql: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql)


def test_clean_marts_reconcile(checked_marts: str) -> None:
    run = check_marts(checked_marts, MAY, build_docs=False)
    assert run.suite == MART and run.success and run.findings == [], run.findings
    assert run.period == MAY and run.evaluated == 3 and run.failed == 0
    assert all(run.gx_result["rows_compared"][name] > 0 for name in CHECKS)
    everything = check_marts(checked_marts, None, build_docs=False)
    assert everything.success and everything.gx_result["rows_compared"]["funding_by_unit"] \
        > run.gx_result["rows_compared"]["funding_by_unit"]


def test_altered_funding_is_caught_with_both_figures(checked_marts: str) -> None:
    _tamper(checked_marts, "UPDATE marts.fct_funding SET amount_ytd_mvnd = amount_ytd_mvnd + 7 "
                   "WHERE month = '2023-05-01' AND unit_code = (SELECT min(unit_code) FROM marts.fct_funding) "
                   "AND source_code = 'ns_tw'")
    try:
        run = check_marts(checked_marts, MAY, build_docs=False)
        assert not run.success
        unit = [f for f in run.findings if f.check_name == "funding_by_unit"]
        assert len(unit) == 1
        f = unit[0]
        assert (f.severity, f.sheet, f.column_name, f.excel_row) == ("error", "marts.fct_funding", "amount_ytd_mvnd", None)
        raw = float(f.message_en.split("raw ")[1].split(" but")[0])
        assert float(f.value) == pytest.approx(raw + 7)
        # the other months are untouched
        assert check_marts(checked_marts, APRIL, build_docs=False).success
    finally:
        _tamper(checked_marts, "UPDATE marts.fct_funding SET amount_ytd_mvnd = amount_ytd_mvnd - 7 "
                       "WHERE month = '2023-05-01' AND unit_code = (SELECT min(unit_code) FROM marts.fct_funding) "
                       "AND source_code = 'ns_tw'")


def test_missing_and_invented_mart_rows_are_caught(checked_marts: str) -> None:
    with psycopg.connect(checked_marts) as conn:
        conn.execute("CREATE TABLE public.saved AS SELECT * FROM marts.fct_ocop_product WHERE month = '2023-05-01'")
        conn.execute("DELETE FROM marts.fct_ocop_product WHERE month = '2023-05-01'")
        conn.execute("INSERT INTO marts.fct_commune_status (month, commune_code, submission_id, criteria_met) "
                     "VALUES ('2023-05-01', '99999', 999999, 3)")
    try:
        run = check_marts(checked_marts, MAY, build_docs=False)
        by_check = {f.check_name: f for f in run.findings}
        assert set(by_check) == {"products_by_submission", "communes_by_submission"}
        assert "missing from the marts" in by_check["products_by_submission"].message_en
        assert by_check["products_by_submission"].sheet == "marts.fct_ocop_product"
        assert "no accepted submission" in by_check["communes_by_submission"].message_en
        assert run.failed == 2 and not run.success
    finally:
        with psycopg.connect(checked_marts) as conn:
            conn.execute("INSERT INTO marts.fct_ocop_product SELECT * FROM public.saved")
            conn.execute("DROP TABLE public.saved")
            conn.execute("DELETE FROM marts.fct_commune_status WHERE submission_id = 999999")
    assert check_marts(checked_marts, MAY, build_docs=False).success


def test_unreadable_marts_are_an_error_not_a_crash(fresh_database_url: str) -> None:
    run = check_marts(fresh_database_url, MAY, build_docs=False)
    assert not run.success
    assert [f.check_name for f in run.findings] == ["marts_unreadable"]


def test_mart_runs_are_recorded_without_a_submission(checked_marts: str) -> None:
    run = check_marts(checked_marts, MAY, build_docs=False)
    with psycopg.connect(checked_marts) as conn:
        (run_id,) = record_runs(conn, [run], None)
        row = conn.execute("SELECT submission_id, suite, success, period FROM audit.validation_run WHERE run_id = %s",
                           (run_id,)).fetchone()
    assert row == (None, MART, True, MAY)


def test_checks_read_the_schema_they_are_given(checked_marts: str) -> None:
    """The pipeline reconciles the build copy before publishing: a fault in `marts_build` is found
    there and the published `marts` still reconcile."""
    with psycopg.connect(checked_marts) as conn:
        conn.execute("SELECT meta.prepare_marts_build()")
        conn.execute("DELETE FROM marts_build.fct_ocop_product WHERE month = '2023-05-01'")
    try:
        in_build = check_marts(checked_marts, MAY, build_docs=False, schema="marts_build")
        assert not in_build.success
        assert {f.check_name for f in in_build.findings} == {"products_by_submission"}
        assert check_marts(checked_marts, MAY, build_docs=False).success
    finally:
        _tamper(checked_marts, "DROP SCHEMA marts_build CASCADE")
