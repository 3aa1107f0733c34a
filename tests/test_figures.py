"""The headline figures, worked out by hand from the contracts (domain.md, marts.md) and checked on
a real warehouse: who is counted (xã only), denominators that do not move with a late report,
units in force on the period (codes reused across the 2025 reform), series across the reform,
funding arithmetic that always adds up, and the programme's rules (criteria set in force,
district criteria of 2016-2020).

Each scenario uses its own provinces or months so that one dbt build serves them all.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest
from warehouse_fixtures import (
    Commune,
    Funding,
    Support,
    add_communes,
    add_district_criteria,
    add_funding,
    add_submission,
    add_support,
    commune_codes,
    district_codes,
    query_one,
    query_rows,
    ward_codes,
)

from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build

PHU_LY = "347"                      # Hà Nam: 4 xã, 10 wards
BAC_NINH, BAC_GIANG, NEW_BAC_NINH = "27", "24", "24"   # legacy 27 + legacy 24 -> 2025 "24"
BAC_NINH_DISTRICTS = ["258", "259", "260", "262", "263", "264"]   # its districts with xã (66 in all)
SILENT = "264"                      # Lương Tài, 11 xã: silent in April 2023
YEN_PHONG, DUNG_LIET, YEN_TRUNG = "258", "09196", "09205"          # 09196 and 09205 -> 2025 09205
BG_DISTRICT = "215"                 # Yên Thế (Bắc Giang)
REUSED = "02143"                    # legacy Xã Lương Thượng (Bắc Kạn, 066); 2025 Xã Văn Lang (Thái Nguyên, 19)
M = date                            # months are first days


@pytest.fixture(scope="module")
def figures(module_database_url: str) -> str:
    url = module_database_url
    load_reference_table(url)
    with psycopg.connect(url) as conn:
        _phu_ly(conn, url)
        _silent_district(conn, url)
        _across_the_reform(conn, url)
        _reused_code(conn, url)
        _funding_arithmetic(conn)
        _criteria_sets(conn, url)
        _province_completed(conn, url)
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    return url


# ---------------------------------------------------------------------------------------------
# scenarios


def _phu_ly(conn: psycopg.Connection, url: str) -> None:
    """May 2023: Phủ Lý reports its 4 xã (3 NTM) and, wrongly, 2 of its wards (both NTM-titled)."""
    xa, wards = commune_codes(url, PHU_LY), ward_codes(url, PHU_LY)
    assert len(xa) == 4 and len(wards) == 10
    sid = add_submission(conn, PHU_LY, "35", M(2023, 5, 1))
    add_communes(conn, sid, [Commune(xa[0], 19, "ntm"), Commune(xa[1], 19, "ntm"), Commune(xa[2], 19, "advanced"),
                             Commune(xa[3], 12), Commune(wards[0], 19, "ntm"), Commune(wards[1], 19, "model")])


def _silent_district(conn: psycopg.Connection, url: str) -> None:
    """Bắc Ninh, March and April 2023. March: all 6 districts with xã report all 66 xã; the first 40
    hold the NTM title, 10 of them advanced. April: Lương Tài (11 xã, 5 NTM) is silent; the others
    report the same as in March."""
    xa = {d: commune_codes(url, d) for d in BAC_NINH_DISTRICTS}
    assert sum(len(v) for v in xa.values()) == 66 and len(xa[SILENT]) == 11
    order = [c for d in BAC_NINH_DISTRICTS if d != SILENT for c in xa[d]] + xa[SILENT]   # 55 + 11
    titled = set(order[:35]) | set(order[55:60])                                         # 40 NTM
    advanced = set(order[:10])
    for month in (M(2023, 3, 1), M(2023, 4, 1)):
        for d in BAC_NINH_DISTRICTS:
            if d == SILENT and month == M(2023, 4, 1):
                continue
            sid = add_submission(conn, d, BAC_NINH, month)
            add_communes(conn, sid, [
                Commune(c, 19, "advanced" if c in advanced else "ntm") if c in titled else Commune(c, 14)
                for c in xa[d]])


def _across_the_reform(conn: psycopg.Connection, url: str) -> None:
    """Bắc Ninh (27) and Bắc Giang (24) merge into the 2025 Bắc Ninh (24).

    Funding (cumulative from 1 January), ns_tw unless said: December 2024 Yên Phong 1,000 and Yên
    Thế 500; March 2025 300 and 200; June 2025 600 (+ nhan_dan 100) and 400; July 2025 the new
    province 1,500 for its whole territory; August 1,800.
    Support (monthly values): March 2025 10 to Dũng Liệt (Yên Phong) and 5 to a Yên Thế xã; July
    2025 7 to Yên Trung (which absorbed Dũng Liệt).
    Titles: June 2025 Dũng Liệt NTM, Yên Trung none; July 2025 Yên Trung advanced."""
    bg_xa = commune_codes(url, BG_DISTRICT)[0]
    sid = add_submission(conn, YEN_PHONG, BAC_NINH, M(2024, 12, 1))
    add_funding(conn, sid, [Funding(YEN_PHONG, "ns_tw", 1000)])
    sid = add_submission(conn, BG_DISTRICT, BAC_GIANG, M(2024, 12, 1))
    add_funding(conn, sid, [Funding(BG_DISTRICT, "ns_tw", 500)])

    sid = add_submission(conn, YEN_PHONG, BAC_NINH, M(2025, 3, 1))
    add_funding(conn, sid, [Funding(YEN_PHONG, "ns_tw", 300)])
    add_support(conn, sid, [Support(DUNG_LIET, "Sở Nông nghiệp", 10)])
    sid = add_submission(conn, BG_DISTRICT, BAC_GIANG, M(2025, 3, 1))
    add_funding(conn, sid, [Funding(BG_DISTRICT, "ns_tw", 200)])
    add_support(conn, sid, [Support(bg_xa, "Sở Y tế", 5)])

    sid = add_submission(conn, YEN_PHONG, BAC_NINH, M(2025, 6, 1))
    add_funding(conn, sid, [Funding(YEN_PHONG, "ns_tw", 600), Funding(DUNG_LIET, "nhan_dan", 100)])
    add_communes(conn, sid, [Commune(DUNG_LIET, 19, "ntm"), Commune(YEN_TRUNG, 16)])
    sid = add_submission(conn, BG_DISTRICT, BAC_GIANG, M(2025, 6, 1))
    add_funding(conn, sid, [Funding(BG_DISTRICT, "ns_tw", 400)])

    sid = add_submission(conn, NEW_BAC_NINH, NEW_BAC_NINH, M(2025, 7, 1))
    add_funding(conn, sid, [Funding(NEW_BAC_NINH, "ns_tw", 1500)])
    add_support(conn, sid, [Support(YEN_TRUNG, "Sở Nông nghiệp", 7)])
    add_communes(conn, sid, [Commune(YEN_TRUNG, 19, "advanced")])
    sid = add_submission(conn, NEW_BAC_NINH, NEW_BAC_NINH, M(2025, 8, 1))
    add_funding(conn, sid, [Funding(NEW_BAC_NINH, "ns_tw", 1800)])
    add_communes(conn, sid, [Commune(YEN_TRUNG, 19, "advanced")])


def _reused_code(conn: psycopg.Connection, url: str) -> None:
    """02143 is Xã Lương Thượng (Bắc Kạn) until June 2025 and Xã Văn Lang (Thái Nguyên) from July:
    two different units. June: Lương Thượng NTM; July: Văn Lang, no title, 10 criteria."""
    sid = add_submission(conn, "066", "06", M(2025, 6, 1))
    add_communes(conn, sid, [Commune(REUSED, 19, "ntm")])
    sid = add_submission(conn, "19", "19", M(2025, 7, 1))
    add_communes(conn, sid, [Commune(REUSED, 10)])


def _funding_arithmetic(conn: psycopg.Connection) -> None:
    """Thanh Hóa (38), district 397 (Triệu Sơn) and 398 (Thiệu Hóa).
    397: Dec 2020 ns_tw 5,000 (phase 2016-2020); Dec 2023 ns_tw 1,000; Jan 2024 ns_huyen 100 +
    ns_xa 50 + nhan_dan 200 = 350; Feb 2024 ns_huyen_xa 180 + nhan_dan 260 = 440 (the district and
    commune budgets now combined); Mar 2024 ns_huyen_xa 200 + nhan_dan 300 + long_ghep 100 = 600.
    398: Jan 2024 ns_tw 100, silent in February, Mar 2024 ns_tw 300."""
    for month, rows in (
        (M(2020, 12, 1), [Funding("397", "ns_tw", 5000)]),
        (M(2023, 12, 1), [Funding("397", "ns_tw", 1000)]),
        (M(2024, 1, 1), [Funding("397", "ns_huyen", 100), Funding("397", "ns_xa", 50), Funding("397", "nhan_dan", 200)]),
        (M(2024, 2, 1), [Funding("397", "ns_huyen_xa", 180), Funding("397", "nhan_dan", 260)]),
        (M(2024, 3, 1), [Funding("397", "ns_huyen_xa", 200), Funding("397", "nhan_dan", 300),
                         Funding("397", "long_ghep", 100)]),
    ):
        add_funding(conn, add_submission(conn, "397", "38", month), rows)
    add_funding(conn, add_submission(conn, "398", "38", M(2024, 1, 1)), [Funding("398", "ns_tw", 100)])
    add_funding(conn, add_submission(conn, "398", "38", M(2024, 3, 1)), [Funding("398", "ns_tw", 300)])


def _criteria_sets(conn: psycopg.Connection, url: str) -> None:
    """Hà Nam's Bình Lục (352), December 2020, criteria set left empty: the 2016-2020 set is in
    force; it meets all 9 district criteria of Decision 558 and holds the district NTM title."""
    sid = add_submission(conn, "352", "35", M(2020, 12, 1), criteria_set="")
    add_communes(conn, sid, [Commune(c, 19, "ntm") for c in commune_codes(url, "352")])
    add_district_criteria(conn, sid, 9, "ntm")


def _province_completed(conn: psycopg.Connection, url: str) -> None:
    """Hải Phòng (31), December 2021: its 6 districts with xã report all their 81 xã NTM (4 of them
    model, 6 advanced) and each meets the 9 district criteria with the district NTM title."""
    districts = [d for d in district_codes(url, "31") if commune_codes(url, d)]
    assert len(districts) == 6
    n = 0
    for d in districts:
        sid = add_submission(conn, d, "31", M(2021, 12, 1))
        rows = []
        for c in commune_codes(url, d):
            rows.append(Commune(c, 19, "model" if n < 4 else "advanced" if n < 10 else "ntm"))
            n += 1
        add_communes(conn, sid, rows)
        add_district_criteria(conn, sid, 9, "ntm")
    assert n == 81


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
