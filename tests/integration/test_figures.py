"""The headline figures, worked out by hand from the contracts (domain.md, marts.md) and checked on
a real warehouse: who is counted (xã only), denominators that do not move with a late report,
units in force on the period (codes reused across the 2025 reform), series across the reform,
funding arithmetic that always adds up, and the programme's rules (criteria set in force,
district criteria of 2016-2020).

Each scenario uses its own provinces or months so that one dbt build serves them all.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fixtures.figures import BAC_NINH, DUNG_LIET, NEW_BAC_NINH, PHU_LY, REUSED, SILENT, YEN_TRUNG, M
from tests.fixtures.warehouse import (
    query_one,
    query_rows,
    ward_codes,
)

# ---------------------------------------------------------------------------------------------
# scenarios


# ---------------------------------------------------------------------------------------------
# 1. xã only


def test_wards_are_never_counted(figures: str) -> None:
    """Phủ Lý: 4 xã expected, 4 known, 3 NTM (75%); its two ward rows stay in raw only."""
    row = query_one(figures, """SELECT communes_expected, communes_total, communes_ntm, communes_advanced,
                                  communes_model, pct_communes_ntm
                           FROM marts.mart_progress WHERE unit_level = 'district' AND unit_code = %s
                             AND month = '2023-05-01'""", PHU_LY)
    assert row == {"communes_expected": 4, "communes_total": 4, "communes_ntm": 3, "communes_advanced": 1,
                   "communes_model": 0, "pct_communes_ntm": Decimal(75)}
    wards = set(ward_codes(figures, PHU_LY))
    in_marts = {r["commune_code"] for r in query_rows(figures, "SELECT commune_code FROM marts.fct_commune_status "
                                                           "WHERE district_code = %s", PHU_LY)}
    in_raw = {r["commune_code"] for r in query_rows(figures, "SELECT commune_code FROM raw.tieu_chi_xa t "
                                                        "JOIN raw.thong_tin i USING (submission_id) "
                                                        "WHERE i.submitting_unit_code = %s", PHU_LY)}
    assert len(in_marts) == 4 and not in_marts & wards
    assert len(in_raw & wards) == 2                               # kept in raw, never counted


# ---------------------------------------------------------------------------------------------
# 2. denominators that do not move with a late report


def test_a_silent_district_keeps_the_province_denominator_and_titles(figures: str) -> None:
    """April 2023: Lương Tài is silent; its 11 xã (5 NTM) are carried forward from March."""
    rows = {r["month"]: r for r in query_rows(figures, """
        SELECT month, communes_expected, communes_total, communes_carried_forward, communes_ntm,
               communes_advanced, pct_communes_ntm, districts_total, districts_reported
        FROM marts.mart_progress WHERE unit_level = 'province' AND unit_code = %s
          AND month IN ('2023-03-01', '2023-04-01')""", BAC_NINH)}
    march, april = rows[M(2023, 3, 1)], rows[M(2023, 4, 1)]
    assert march == {"month": M(2023, 3, 1), "communes_expected": 66, "communes_total": 66,
                     "communes_carried_forward": 0, "communes_ntm": 40, "communes_advanced": 10,
                     "pct_communes_ntm": march["pct_communes_ntm"], "districts_total": 6, "districts_reported": 6}
    assert april == {**march, "month": M(2023, 4, 1), "communes_carried_forward": 11, "districts_reported": 5}
    assert float(april["pct_communes_ntm"]) == pytest.approx(100 * 40 / 66)
    silent = query_one(figures, """SELECT communes_total, communes_carried_forward, communes_ntm FROM marts.mart_progress
                              WHERE unit_level = 'district' AND unit_code = %s AND month = '2023-04-01'""", SILENT)
    assert silent == {"communes_total": 11, "communes_carried_forward": 11, "communes_ntm": 5}
    # the facts stay what was reported: no row for the silent district in April
    assert query_one(figures, "SELECT count(*) AS n FROM marts.fct_commune_status WHERE district_code = %s "
                         "AND month = '2023-04-01'", SILENT) == {"n": 0}


# ---------------------------------------------------------------------------------------------
# 3. units in force on the period


def test_a_reused_code_names_the_unit_in_force(figures: str) -> None:
    """02143 in June 2025 is Lương Thượng (Bắc Kạn, merged into 05665); in July Văn Lang (Thái
    Nguyên). Each month's row carries its own unit's province, and Văn Lang's 'none' is not taken
    for Lương Thượng losing its title."""
    rows = {r["month"]: r for r in query_rows(figures, """
        SELECT month, province_code, successor_code, communes_expected, communes_ntm
        FROM marts.mart_progress WHERE unit_level = 'commune' AND unit_code = %s""", REUSED)}
    assert rows[M(2025, 6, 1)] == {"month": M(2025, 6, 1), "province_code": "06", "successor_code": "05665",
                                   "communes_expected": 1, "communes_ntm": 1}
    assert rows[M(2025, 7, 1)] == {"month": M(2025, 7, 1), "province_code": "19", "successor_code": None,
                                   "communes_expected": 1, "communes_ntm": 0}
    assert query_rows(figures, "SELECT * FROM marts.fct_commune_title_change WHERE commune_code = %s", REUSED) == []


# ---------------------------------------------------------------------------------------------
# 4. series across the 1 July 2025 reform


def test_support_year_to_date_continues_across_the_reform(figures: str) -> None:
    """July 2025, new Bắc Ninh: 10 + 5 (March, under the legacy provinces) + 7 (July) = 22;
    Yên Trung: 10 (March, Dũng Liệt, merged into it) + 7 = 17. Legacy Bắc Giang in June: 5."""
    province = query_one(figures, """SELECT support_ytd_mvnd FROM marts.mart_progress WHERE unit_level = 'province'
                                AND unit_code = %s AND month = '2025-07-01'""", NEW_BAC_NINH)
    commune = query_one(figures, """SELECT support_ytd_mvnd FROM marts.mart_progress WHERE unit_level = 'commune'
                               AND unit_code = %s AND month = '2025-07-01'""", YEN_TRUNG)
    assert province["support_ytd_mvnd"] == Decimal("22.000")
    assert commune["support_ytd_mvnd"] == Decimal("17.000")


def test_july_2025_funding_increment_is_not_the_whole_year(figures: str) -> None:
    """New Bắc Ninh: July 1,500 - (June 700 + 400) = 400; August 300. Phase 2021-2025 to date:
    year-end 2024 of the predecessors (1,000 + 500) + this year's year to date."""
    rows = {r["month"]: r for r in query_rows(figures, """
        SELECT month, total_ytd_mvnd, total_month_mvnd, phase, total_phase_mvnd, ns_tw_phase_mvnd
        FROM marts.mart_funding WHERE unit_level = 'province' AND unit_code = %s AND month >= '2025-07-01'""",
        NEW_BAC_NINH)}
    assert rows[M(2025, 7, 1)] == {"month": M(2025, 7, 1), "total_ytd_mvnd": Decimal("1500.000"),
                                   "total_month_mvnd": Decimal("400.000"), "phase": "2021-2025",
                                   "total_phase_mvnd": Decimal("3000.000"), "ns_tw_phase_mvnd": Decimal("3000.000")}
    assert rows[M(2025, 8, 1)]["total_month_mvnd"] == Decimal("300.000")
    assert rows[M(2025, 8, 1)]["total_phase_mvnd"] == Decimal("3300.000")
    # the series of the province-wide figure, too, continues from the predecessors' June figures
    fct = query_one(figures, """SELECT amount_month_mvnd FROM marts.fct_funding WHERE unit_code = %s
                           AND month = '2025-07-01' AND source_code = 'ns_tw'""", NEW_BAC_NINH)
    assert fct["amount_month_mvnd"] == Decimal("500.000")        # 1,500 - (600 + 400)
    # legacy Bắc Ninh before the reform: its own figures, carried through April-May
    june = query_one(figures, """SELECT total_ytd_mvnd, total_month_mvnd, has_gaps FROM marts.mart_funding
                            WHERE unit_level = 'province' AND unit_code = %s AND month = '2025-06-01'""", BAC_NINH)
    assert june == {"total_ytd_mvnd": Decimal("700.000"), "total_month_mvnd": Decimal("400.000"), "has_gaps": True}


def test_title_history_follows_a_commune_to_its_successor(figures: str) -> None:
    """Yên Trung's first 2025 report (advanced) is compared with the last legacy titles of Dũng
    Liệt (NTM) and the legacy Yên Trung (none): the highest, NTM, so it was upgraded."""
    row = query_one(figures, """SELECT previous_title, ntm_title, change, predecessor_codes, previous_month
                           FROM marts.fct_commune_title_change WHERE commune_code = %s
                             AND month = '2025-07-01'""", YEN_TRUNG)
    assert row == {"previous_title": "ntm", "ntm_title": "advanced", "change": "upgraded",
                   "predecessor_codes": f"{DUNG_LIET},{YEN_TRUNG}", "previous_month": M(2025, 6, 1)}


# ---------------------------------------------------------------------------------------------
# 5. funding arithmetic that always adds up


def test_monthly_increments_add_up_when_sources_switch(figures: str) -> None:
    rows = query_rows(figures, """SELECT month, total_ytd_mvnd, total_month_mvnd, has_disappeared_series,
                                    state_budget_share, community_share, total_phase_mvnd, ns_tw_phase_mvnd,
                                    ns_huyen_xa_phase_mvnd, phase
                             FROM marts.mart_funding WHERE unit_level = 'district' AND unit_code = '397'
                               AND month BETWEEN '2024-01-01' AND '2024-03-01' ORDER BY month""")
    assert [(r["total_ytd_mvnd"], r["total_month_mvnd"]) for r in rows] == [
        (Decimal("350.000"), Decimal("350.000")), (Decimal("440.000"), Decimal("90.000")),
        (Decimal("600.000"), Decimal("160.000"))]
    assert sum(r["total_month_mvnd"] for r in rows) == rows[-1]["total_ytd_mvnd"]
    assert [r["has_disappeared_series"] for r in rows] == [False, True, False]   # ns_huyen, ns_xa gone in Feb
    march = rows[-1]
    assert march["state_budget_share"] == Decimal("0.5")       # (200 ns_huyen_xa + 100 long_ghep) / 600
    assert march["community_share"] == Decimal("0.5")
    assert (march["phase"], march["total_phase_mvnd"], march["ns_tw_phase_mvnd"], march["ns_huyen_xa_phase_mvnd"]) \
        == ("2021-2025", Decimal("1600.000"), Decimal("1000.000"), Decimal("200.000"))
    old = query_one(figures, """SELECT phase, total_phase_mvnd FROM marts.mart_funding WHERE unit_level = 'district'
                           AND unit_code = '397' AND month = '2020-12-01'""")
    assert old == {"phase": "2016-2020", "total_phase_mvnd": Decimal("5000.000")}


def test_a_silent_district_does_not_make_the_province_total_fall(figures: str) -> None:
    """Thanh Hóa 2024: Jan 350 + 100 = 450; Feb 440 + 100 carried = 540; Mar 600 + 300 = 900."""
    rows = query_rows(figures, """SELECT total_ytd_mvnd, total_month_mvnd, has_carried_forward FROM marts.mart_funding
                             WHERE unit_level = 'province' AND unit_code = '38'
                               AND month BETWEEN '2024-01-01' AND '2024-03-01' ORDER BY month""")
    assert rows == [
        {"total_ytd_mvnd": Decimal("450.000"), "total_month_mvnd": Decimal("450.000"), "has_carried_forward": False},
        {"total_ytd_mvnd": Decimal("540.000"), "total_month_mvnd": Decimal("90.000"), "has_carried_forward": True},
        {"total_ytd_mvnd": Decimal("900.000"), "total_month_mvnd": Decimal("360.000"), "has_carried_forward": False},
    ]


# ---------------------------------------------------------------------------------------------
# 6. the programme's rules


def test_criteria_set_in_force_and_district_criteria_of_2016_2020(figures: str) -> None:
    status = query_rows(figures, "SELECT DISTINCT criteria_set FROM marts.fct_commune_status WHERE district_code = '352' "
                            "AND month = '2020-12-01'")
    assert status == [{"criteria_set": "2016-2020"}]            # left empty: the set in force in 2020
    district = query_one(figures, """SELECT criteria_set, criteria_met, criteria_total, district_title
                                FROM marts.fct_district_status WHERE district_code = '352'""")
    assert district == {"criteria_set": "2016-2020", "criteria_met": 9, "criteria_total": 9, "district_title": "ntm"}
    names = query_rows(figures, """SELECT name_vi FROM marts.dim_criterion WHERE criteria_set = '2016-2020'
                              AND level = 'district' ORDER BY criterion_no""")
    assert names[5]["name_vi"] == "Sản xuất" and names[8]["name_vi"].startswith("Chỉ đạo")   # Decision 558


def test_a_province_that_completed_the_programme_reads_off_one_row(figures: str) -> None:
    """domain.md: "83/83 communes met the standard (100%); 6/6 districts recognised; 4 model
    communes" - here Hải Phòng's 81/81, 6/6 and 4."""
    row = query_one(figures, """SELECT communes_ntm, communes_expected, pct_communes_ntm, districts_ntm, districts_total,
                                  districts_reported, communes_model, communes_advanced
                           FROM marts.mart_progress WHERE unit_level = 'province' AND unit_code = '31'
                             AND month = '2021-12-01'""")
    assert row == {"communes_ntm": 81, "communes_expected": 81, "pct_communes_ntm": Decimal(100), "districts_ntm": 6,
                   "districts_total": 6, "districts_reported": 6, "communes_model": 4, "communes_advanced": 6}
