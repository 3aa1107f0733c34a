"""The warehouse (dbt) on report-shaped fixture data: the figures of domain.md come out of one
query on the marts, and `dbt build` passes all its tests (generic, singular and unit tests)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.warehouse import (
    VN,
    query_one,
)
from tests.fixtures.warehouse_scenario import DISTRICT, MARCH, MAY, PROVINCE, REPORT_2017


def _exposures() -> list[str]:
    """The exposures declared in the dbt project's YAML files."""
    import yaml

    models = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
    return [e["name"] for f in sorted(models.rglob("*.yml"))
            for e in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("exposures", [])]


EXPOSURES = _exposures()


def test_build_passes_every_test(warehouse) -> None:
    _url, result, lines = warehouse
    assert result.success, [str(f) for f in result.failures]
    assert result.failures == []
    assert result.counts.get("pass", 0) > 100          # data tests and unit tests
    assert result.counts.get("success", 0) >= 30       # seeds, models, snapshot
    assert set(result.counts) <= {"pass", "success", "warn", "no-op"}
    assert result.counts.get("no-op", 0) == len(EXPOSURES) == 9   # the exposures: bulletin, BI, coverage, audit, 5 Superset dashboards
    # one progress line per node, naming it
    assert any("mart_funding" in line and "SUCCESS" in line for line in lines)
    assert any("unit_test" in line for line in lines)
    assert len(lines) == sum(result.counts.values())


def test_district_funding_to_may_2023_in_one_query(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT total_ytd_mvnd, ns_tw_ytd_mvnd, ns_tinh_ytd_mvnd, ns_huyen_xa_ytd_mvnd,
                              nhan_dan_ytd_mvnd, has_estimates, community_share
                       FROM marts.mart_funding WHERE unit_code = %s AND month = %s""", DISTRICT, MAY)
    assert row["total_ytd_mvnd"] == Decimal("892738")
    assert row["ns_tw_ytd_mvnd"] == Decimal("52627")
    assert row["ns_tinh_ytd_mvnd"] == Decimal("65716")
    assert row["ns_huyen_xa_ytd_mvnd"] == Decimal("57570")
    assert row["nhan_dan_ytd_mvnd"] == Decimal("716825")
    assert row["has_estimates"] is True
    assert float(row["community_share"]) == pytest.approx(716825 / 892738)


def test_funding_increments_over_a_missing_month(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT amount_ytd_mvnd, amount_month_mvnd, months_covered, increment_spans_gap
                       FROM marts.fct_funding WHERE unit_code = %s AND source_code = 'ns_tw' AND month = %s""",
               DISTRICT, MAY)
    # March 30,000, April not received, May 52,627: the increment goes to May, flagged
    assert row == {"amount_ytd_mvnd": Decimal("52627.000"), "amount_month_mvnd": Decimal("22627.000"),
                   "months_covered": 2, "increment_spans_gap": True}
    march = query_one(url, """SELECT amount_month_mvnd, months_covered FROM marts.fct_funding
                         WHERE unit_code = %s AND source_code = 'ns_tw' AND month = %s""", DISTRICT, MARCH)
    assert march == {"amount_month_mvnd": Decimal("30000.000"), "months_covered": 3}


def test_district_progress_in_one_query(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT communes_total, communes_ntm, communes_advanced, communes_model,
                              titles_at_risk, communes_hardship, support_ytd_mvnd, communes_19,
                              communes_15_18, communes_5_9
                       FROM marts.mart_progress WHERE unit_level = 'district' AND unit_code = %s AND month = %s""",
               DISTRICT, MAY)
    assert row == {"communes_total": 30, "communes_ntm": 28, "communes_advanced": 5, "communes_model": 1,
                   "titles_at_risk": 1, "communes_hardship": 2, "support_ytd_mvnd": Decimal("450.500"),
                   "communes_19": 27, "communes_15_18": 2, "communes_5_9": 1}


def test_province_36_of_207_communes_average_8_65(warehouse) -> None:
    """12 of Thanh Hóa's 26 districts reported for December 2017: 36 of their 207 xã hold the title.
    The denominator of the percentage is every xã of the province in force (453, the sum of the
    xã of its 26 districts per the reference list), not the communes that happened to report."""
    url, *_ = warehouse
    row = query_one(url, """SELECT communes_ntm, communes_total, communes_expected, round(avg_criteria_per_commune, 2) AS avg,
                              avg_criteria_per_commune, pct_communes_ntm, districts_reporting, districts_ntm,
                              districts_total, districts_reported, communes_carried_forward
                       FROM marts.mart_progress WHERE unit_level = 'province' AND unit_code = %s AND month = %s""",
               PROVINCE, REPORT_2017)
    assert (row["communes_ntm"], row["communes_total"], row["avg"]) == (36, 207, Decimal("8.65"))
    assert float(row["avg_criteria_per_commune"]) == pytest.approx(1791 / 207)   # not rounded in storage
    assert row["communes_expected"] == 453 and row["communes_carried_forward"] == 0
    assert float(row["pct_communes_ntm"]) == pytest.approx(100 * 36 / 453)
    assert (row["districts_reporting"], row["districts_reported"], row["districts_ntm"]) == (12, 12, 2)
    assert row["districts_total"] == 26


def test_district_ocop_in_one_query(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT products_rated, products_preparing, expired, expiring_within_6_months,
                              products_3_star, products_4_star, products_5_star, products_g1, products_1048,
                              products_1048_g1
                       FROM marts.mart_ocop WHERE unit_level = 'district' AND unit_code = %s AND month = %s""",
               DISTRICT, MAY)
    # every rated product was decided before 24 Feb 2023: held under Decision 1048's catalogue,
    # counted in products_1048 and never in the Decision 148 columns (products_g1..g6)
    assert row == {"products_rated": 14, "products_preparing": 9, "expired": 2, "expiring_within_6_months": 1,
                   "products_3_star": 10, "products_4_star": 3, "products_5_star": 1, "products_g1": 0,
                   "products_1048": 14, "products_1048_g1": 6}


def test_latest_accepted_version_wins(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT count(*) AS communes, max(criteria_met) AS met, count(DISTINCT submission_id) AS subs
                       FROM marts.fct_commune_status WHERE district_code = '396' AND month = %s""", MAY)
    with psycopg.connect(url) as conn:
        accepted = conn.execute("SELECT submission_id FROM audit.submission WHERE submitting_unit_code = '396' "
                                "AND period = %s AND version = 2", (MAY,)).fetchone()[0]
        used = conn.execute("SELECT DISTINCT submission_id FROM marts.fct_commune_status "
                            "WHERE district_code = '396' AND month = %s", (MAY,)).fetchall()
    assert row["communes"] == 15 and row["met"] == 12 and row["subs"] == 1      # Thường Xuân: 15 xã
    assert used == [(accepted,)]


def test_submission_coverage(warehouse) -> None:
    url, *_ = warehouse
    with psycopg.connect(url) as conn:
        status = dict(conn.execute("SELECT district_code, status FROM marts.mart_submission_coverage "
                                   "WHERE month = %s", (MAY,)).fetchall())
        months = conn.execute("SELECT min(month), max(month), count(DISTINCT month) "
                              "FROM marts.mart_submission_coverage").fetchone()
        july = conn.execute("SELECT district_code, status, submitted FROM marts.mart_submission_coverage "
                            "WHERE month = '2025-07-01'").fetchall()
        late = conn.execute("SELECT submitted, latest_version, received_at FROM marts.mart_submission_coverage "
                            "WHERE month = %s AND district_code = '396'", (MAY,)).fetchone()
    assert len(status) == 26                      # every legacy district of Thanh Hóa
    assert status[DISTRICT] == "accepted"
    assert status["396"] == "late"
    assert status["398"] == "rejected"
    assert status["399"] == "missing"
    assert late[0] is True and late[1] == 2 and late[2] == datetime(2023, 6, 10, 9, tzinfo=VN)
    assert months[0] == REPORT_2017 and months[1] == date(2025, 7, 1)
    assert months[2] == 92                        # 2017-12 .. 2025-07, nothing left out
    assert july == [(PROVINCE, "accepted", True)] # after the reorganisation the province reports


def test_rollup_after_the_2025_reorganisation(warehouse) -> None:
    url, *_ = warehouse
    with psycopg.connect(url) as conn:
        levels = dict(conn.execute("SELECT unit_level, count(*) FROM marts.mart_progress "
                                   "WHERE month = '2025-07-01' GROUP BY 1").fetchall())
        prov = conn.execute("SELECT communes_total, communes_ntm, communes_model, communes_lt5 "
                            "FROM marts.mart_progress WHERE month = '2025-07-01' AND unit_level = 'province'"
                            ).fetchone()
        funding = conn.execute("SELECT unit_code, unit_level, total_ytd_mvnd FROM marts.mart_funding "
                               "WHERE month = '2025-07-01'").fetchall()
    assert levels == {"commune": 3, "province": 1}           # no district level any more
    assert prov == (3, 2, 1, 1)
    assert funding == [(PROVINCE, "province", Decimal("7500.000"))]


def test_dimensions(warehouse) -> None:
    url, *_ = warehouse
    with psycopg.connect(url) as conn:
        crit = conn.execute("SELECT criteria_set, level, count(*) FROM marts.dim_criterion GROUP BY 1, 2 "
                            "ORDER BY 1, 2").fetchall()
        label = conn.execute("SELECT month_label_vi, quarter FROM marts.dim_month WHERE month = %s",
                             (MAY,)).fetchone()
        sources = dict(conn.execute("SELECT source_code, is_state_budget FROM marts.dim_funding_source").fetchall())
        merged = conn.execute("SELECT count(*) FROM marts.dim_admin_unit WHERE list_name = 'legacy' "
                              "AND unit_level = 'commune' AND successor_code IS NOT NULL").fetchone()[0]
    assert crit == [("2016-2020", "commune", 19), ("2016-2020", "district", 9),      # Decisions 1980, 558
                    ("2021-2025", "commune", 19), ("2021-2025", "district", 9)]      # Decisions 318, 320
    assert label == ("Tháng 5/2023", 2)
    assert sources["ns_huyen_xa"] is True and sources["nhan_dan"] is False and len(sources) == 10
    assert sources["long_ghep"] is True          # state money of other national programmes (marts.md)
    assert merged > 9000


def test_title_snapshot_records_current_titles(warehouse) -> None:
    url, *_ = warehouse
    row = query_one(url, """SELECT count(*) AS n, count(*) FILTER (WHERE ntm_title = 'model') AS model
                       FROM marts.snap_commune_title WHERE dbt_valid_to IS NULL AND district_code = %s""", DISTRICT)
    assert row == {"n": 30, "model": 1}


def test_title_changes_month_by_month(warehouse) -> None:
    """March 2023: no titles in 395; May: 28 titled communes, so 28 communes gained a title."""
    url, *_ = warehouse
    with psycopg.connect(url) as conn:
        changes = dict(conn.execute("SELECT change, count(*) FROM marts.fct_commune_title_change "
                                    "WHERE district_code = %s AND month = %s GROUP BY 1", (DISTRICT, MAY)).fetchall())
        previous = conn.execute("SELECT DISTINCT previous_month FROM marts.fct_commune_title_change "
                                "WHERE district_code = %s", (DISTRICT,)).fetchall()
    assert changes == {"gained": 28}
    assert previous == [(MARCH,)]


def test_mart_contracts_match_marts_md(warehouse) -> None:
    """Every relation and required column of marts.md exists with its exact name."""
    url, *_ = warehouse
    required = {
        "dim_admin_unit": "unit_code unit_name unit_level parent_code province_code valid_from valid_to successor_code",
        "dim_criterion": "criteria_set level criterion_no criterion_code name_vi name_en group_no group_name_vi",
        "dim_funding_source": "source_code name_vi name_en is_state_budget",
        "dim_month": "month year quarter month_label_vi",
        "fct_commune_criteria": "month commune_code district_code province_code criterion_code is_met submission_id",
        "fct_commune_status": "month commune_code district_code province_code criteria_met criteria_total ntm_title "
                              "title_date criteria_band title_at_risk hardship submission_id",
        "fct_funding": "month unit_code district_code province_code source_code capital_type amount_ytd_mvnd "
                       "amount_month_mvnd is_estimate submission_id",
        "fct_support": "month commune_code district_code province_code supporting_agency value_mvnd description "
                       "submission_id",
        "fct_ocop_product": "month product_key product_name commune_code district_code province_code entity_type "
                            "product_group catalogue stars status decision_date valid_until recognised_by "
                            "expires_within_6_months submission_id",
        "mart_progress": "month unit_code unit_level communes_total communes_ntm communes_advanced communes_model "
                         "pct_communes_ntm avg_criteria_per_commune communes_19 communes_15_18 communes_10_14 "
                         "communes_5_9 communes_lt5 titles_at_risk communes_hardship support_ytd_mvnd districts_ntm",
        "mart_funding": "month unit_code unit_level total_ytd_mvnd ns_tw_ytd_mvnd ns_tinh_ytd_mvnd ns_huyen_ytd_mvnd "
                        "ns_xa_ytd_mvnd ns_huyen_xa_ytd_mvnd long_ghep_ytd_mvnd tin_dung_ytd_mvnd "
                        "doanh_nghiep_ytd_mvnd nhan_dan_ytd_mvnd khac_ytd_mvnd state_budget_share community_share "
                        "has_estimates",
        "mart_ocop": "month unit_code unit_level products_rated products_3_star products_4_star products_5_star "
                     "products_preparing expiring_within_6_months expired products_g1 products_g6 products_1048",
        "mart_submission_coverage": "month province_code district_code submitted latest_version version_in_force "
                                    "status received_at submitted_on is_backfill",
    }
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = 'marts'").fetchall()
        described = conn.execute(
            "SELECT c.relname, count(*) FILTER (WHERE col_description(c.oid, a.attnum) IS NULL) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = 'marts' AND c.relkind = 'r' AND c.relname NOT LIKE 'snap_%%' GROUP BY 1").fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    for relation, cols in required.items():
        assert relation in columns, relation
        assert set(cols.split()) <= columns[relation], (relation, set(cols.split()) - columns[relation])
    assert all(undocumented == 0 for _rel, undocumented in described), described
