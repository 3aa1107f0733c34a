"""The programme's rules at intake (domain.md), on hand-built workbooks and the real unit lists:

- only xã take part: a ward, township or special zone row is the warning `not_a_rural_commune`
  (kept), and `missing_communes` names missing xã only;
- an empty criteria set is the set in force for the period; a period from 2023 on that names
  2016-2020 is the warning `outdated_criteria_set`, and loads;
- each OCOP product's catalogue (148 / 1048): a group name of one catalogue fixes it, a bare code
  or a shared name follows the decision date.

Phủ Lý (347, Hà Nam) before the 2025 reform has 14 commune-level units: 4 xã and 10 wards.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from ingest.intake import rules
from ingest.intake.reader import read_submission
from tests.unit.test_reader import C1, C2, C3, errors, info_rows, minimal, von_rows, workbook, xa_rows

PHU_LY = "347"
PHU_LY_XA = ["13306", "13426", "13507", "13513"]  # Phù Vân, Kim Bình, Đinh Xá, Trịnh Xá
QUANG_TRUNG, LAM_HA = "13285", "13303"            # Phường Quang Trung, Phường Lam Hạ (wards of Phủ Lý)
ROOT = Path(__file__).resolve().parents[2]


def phu_ly(communes: list[Any], **info: Any) -> dict[str, list[list[Any]]]:
    return {"thong_tin": info_rows(province_code="35", submitting_unit_code=PHU_LY, **info),
            "tieu_chi_xa": xa_rows(communes), "nguon_von": von_rows((PHU_LY, PHU_LY_XA[0]))}


def with_period(period: str, **info: Any) -> dict[str, list[list[Any]]]:
    """The minimal 395 submission for `period`; a December one carries the district criteria."""
    sheets = minimal(period=period, **info)
    if period.endswith("-12"):
        sheets["tieu_chi_huyen"] = [["criterion", "met"]] + [[i, "Đ"] for i in range(1, 10)]
    return sheets


def warnings(result, check: str) -> list:
    return [f for f in result.findings if f.check_name == check and f.severity == "warning"]


# ---------------------------------------------------------------------------------------------
# xã only


def test_phu_ly_has_4_xa_among_14_units(admin) -> None:
    on = date(2023, 5, 31)
    assert len(admin.communes_of(PHU_LY, on)) == 14
    assert [u.code for u in rules.rural_communes(admin, PHU_LY, on)] == PHU_LY_XA


def test_a_district_reporting_all_its_xa_gets_no_warning_about_its_wards(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", phu_ly(PHU_LY_XA)), admin)
    assert result.findings == []
    assert result.frames["tieu_chi_xa"]["commune_code"].tolist() == PHU_LY_XA


def test_missing_communes_lists_missing_xa_only(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", phu_ly(PHU_LY_XA[:3])), admin)
    assert not errors(result)
    [missing] = warnings(result, "missing_communes")
    assert (missing.sheet, missing.column_name, missing.value) == ("tieu_chi_xa", "commune_code", "13513")
    assert missing.message_en.startswith("1 rural communes (xã) of unit 347") and "13513" in missing.message_vi
    assert {f.check_name for f in result.findings} == {"missing_communes"}


def test_a_ward_row_is_a_located_warning_and_is_kept(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", phu_ly([*PHU_LY_XA, QUANG_TRUNG])), admin)
    assert not result.rejected
    [w] = result.findings
    assert (w.severity, w.check_name, w.sheet, w.excel_row, w.column_name, w.value) == \
        ("warning", "not_a_rural_commune", "tieu_chi_xa", 6, "commune_code", QUANG_TRUNG)
    assert "Phường Quang Trung (13285)" in w.message_en and "is a ward, not a rural commune (xã)" in w.message_en
    assert "Phường Quang Trung (13285)" in w.message_vi and "là phường, không phải xã" in w.message_vi
    assert "dòng 6" in w.message_vi and "row 6" in w.message_en
    # kept: it reaches raw (the warehouse ignores it)
    assert result.frames["tieu_chi_xa"]["commune_code"].tolist() == [*PHU_LY_XA, QUANG_TRUNG]
    assert len(result.frames["tieu_chi_xa_mark"]) == 5 * 19


def test_a_ward_named_without_code_is_resolved_then_warned(tmp_path: Path, admin) -> None:
    sheets = phu_ly([*PHU_LY_XA, None])
    sheets["tieu_chi_xa"][5][1] = "Phường Lam Hạ"
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert not errors(result)
    [w] = warnings(result, "not_a_rural_commune")
    assert (w.excel_row, w.value) == (6, LAM_HA)
    assert result.frames["tieu_chi_xa"]["commune_code"].tolist()[-1] == LAM_HA


def test_a_township_is_not_a_rural_commune(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal()), admin)  # C2: Thị trấn Thọ Xuân
    [w] = warnings(result, "not_a_rural_commune")
    assert (w.excel_row, w.value) == (3, C2) and "is a township" in w.message_en and "thị trấn" in w.message_vi
    # Thọ Xuân: 27 xã and 3 townships; C1 and C3 reported, the other 25 xã (no township) missing
    [missing] = warnings(result, "missing_communes")
    assert missing.message_en.startswith("25 rural communes (xã) of unit 395")
    assert C2 not in missing.value and C1 not in missing.value and C3 not in missing.value


def test_after_the_reform_wards_and_special_zones_are_warned(tmp_path: Path, admin) -> None:
    on = date(2025, 8, 31)
    units = admin.communes_of("22", on)  # Quảng Ninh: 22 xã, 30 wards, 2 special zones
    xa = [u.code for u in units if u.unit_type == "Xã"]
    ward = next(u.code for u in units if u.unit_type == "Phường")
    zone = "06994"                       # Đặc khu Vân Đồn
    sheets = {"thong_tin": info_rows(province_code="22", submitting_unit_code="22", period="08/2025"),
              "tieu_chi_xa": xa_rows([*xa, ward, zone]), "nguon_von": von_rows(("22", xa[0]))}
    result = read_submission(workbook(tmp_path / "q.xlsx", sheets), admin)
    assert not errors(result)
    found = {(f.value, f.excel_row) for f in warnings(result, "not_a_rural_commune")}
    assert found == {(ward, len(xa) + 2), (zone, len(xa) + 3)}
    assert any("special zone" in f.message_en and "đặc khu" in f.message_vi
               for f in warnings(result, "not_a_rural_commune"))
    assert warnings(result, "missing_communes") == []


def test_another_districts_ward_is_still_an_unknown_commune(tmp_path: Path, admin) -> None:
    sheets = phu_ly([*PHU_LY_XA, "15499"])  # Thị trấn Thọ Xuân, district 395 (Thanh Hóa)
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert {(f.check_name, f.value) for f in errors(result)} == {("unknown_commune", "15499")}
    assert warnings(result, "not_a_rural_commune") == []


# ---------------------------------------------------------------------------------------------
# the criteria set in force


@pytest.mark.parametrize("period, expected", [
    ("2017-12", "2016-2020"), ("2022-02", "2016-2020"), ("2022-03", "2021-2025"), ("2023-05", "2021-2025"),
])
def test_an_empty_criteria_set_is_the_set_in_force_for_the_period(tmp_path: Path, admin, period: str,
                                                                  expected: str) -> None:
    for i, sheets in enumerate((with_period(period, criteria_set=None),   # the key left out
                                with_period(period, criteria_set=" "))):   # the key, empty
        result = read_submission(workbook(tmp_path / f"{i}.xlsx", sheets), admin)
        assert not errors(result), result.findings
        assert result.frames["thong_tin"]["criteria_set"].tolist() == [expected]
        assert result.meta["criteria_set"] == expected
        assert warnings(result, "outdated_criteria_set") == []


def test_a_2023_submission_naming_2016_2020_is_warned_and_accepted(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal(period="2023-01", criteria_set="2016–2020")), admin)
    assert not result.rejected
    [w] = warnings(result, "outdated_criteria_set")
    # thong_tin: header row 1, then province, unit, period, version, submitted_on, prepared_by, criteria_set
    assert (w.sheet, w.excel_row, w.column_name, w.value) == ("thong_tin", 8, "criteria_set", "2016-2020")
    assert "2023-01" in w.message_en and "outdated 2016-2020" in w.message_en and "2021-2025" in w.message_en
    assert "01/2023" in w.message_vi and "hết hiệu lực" in w.message_vi
    assert result.frames["thong_tin"]["criteria_set"].tolist() == ["2016-2020"]  # kept as named


@pytest.mark.parametrize("period, named", [("2022-12", "2016-2020"), ("2019-06", "2016-2020"),
                                           ("2023-01", "2021-2025")])
def test_no_outdated_warning_before_2023_or_for_the_current_set(tmp_path: Path, admin, period: str,
                                                                named: str) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", with_period(period, criteria_set=named)), admin)
    assert not errors(result) and warnings(result, "outdated_criteria_set") == []
    assert result.frames["thong_tin"]["criteria_set"].tolist() == [named]


def test_an_unknown_criteria_set_is_still_an_error(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal(criteria_set="2010-2015")), admin)
    assert {(f.check_name, f.column_name) for f in errors(result)} == {("bad_value", "criteria_set")}


# ---------------------------------------------------------------------------------------------
# OCOP catalogues

OCOP_HEADER = ["product_name", "commune_code", "product_group", "stars", "status", "decision_date"]
# (name, group as written, stars, status, decision date, expected group, expected catalogue)
OCOP_CASES = [
    ("Thổ cẩm", "Vải và may mặc", 3, "rated", "1/3/2024", "g4", "1048"),        # the name wins over the date
    ("Mây tre đan", "Hàng thủ công mỹ nghệ", 3, "rated", "1/5/2021", "g4", "148"),
    ("Chiếu cói", "g4", 3, "rated", "23/2/2023", "g4", "1048"),                 # code: by date, the day before
    ("Nón lá", "g4", 4, "rated", "24/2/2023", "g4", "148"),                     # ... and the day Decision 148 came
    ("Mật ong", "Thực phẩm", 3, "rated", "1/1/2020", "g1", "1048"),             # a shared name: by date
    ("Rượu nếp", "Đồ uống", 3, "re_rated", "1/6/2023", "g2", "148"),
    ("Gốm", "4", None, "preparing", None, "g4", "148"),                         # preparing: 148
    ("Cao actiso", "Thảo dược", None, "preparing", None, "g3", "1048"),         # ... unless its name says 1048
    ("Lan rừng", "g5", 3, "rated", None, "g5", "148"),                          # no decision date: 148
    ("Tinh dầu sả", "Dược liệu và sản phẩm từ dược liệu", 3, "expired", "1/3/2020", "g3", "148"),
]


def _ocop_sheets(rows: list[tuple]) -> dict[str, list[list[Any]]]:
    ocop = [OCOP_HEADER] + [[name, C1, group, stars, status, decided] for name, group, stars, status, decided, *_ in rows]
    return {**minimal(), "ocop": ocop}


def test_catalogue_by_name_and_by_date(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "o.xlsx", _ocop_sheets(OCOP_CASES)), admin)
    assert not errors(result), errors(result)
    o = result.frames["ocop"]
    assert o["product_group"].tolist() == [c[5] for c in OCOP_CASES]
    assert o["catalogue"].tolist() == [c[6] for c in OCOP_CASES]
    assert o["catalogue"].dtype == object and list(o.columns)[-1] == "catalogue"


def test_catalogue_is_the_same_from_csv(tmp_path: Path, admin) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, rows in _ocop_sheets(OCOP_CASES).items():
        text = "\n".join(",".join("" if v is None else f'"{v}"' for v in row) for row in rows) + "\n"
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    result = read_submission(folder, admin)
    assert not errors(result), errors(result)
    assert result.frames["ocop"]["catalogue"].tolist() == [c[6] for c in OCOP_CASES]


def test_an_unknown_group_is_an_error_and_gets_no_catalogue(tmp_path: Path, admin) -> None:
    cases = [OCOP_CASES[0], ("Bánh", "Nhóm 7", 3, "rated", "1/1/2024", None, None)]
    result = read_submission(workbook(tmp_path / "o.xlsx", _ocop_sheets(cases)), admin)
    [f] = errors(result)
    assert (f.check_name, f.sheet, f.excel_row, f.column_name, f.value) == \
        ("bad_value", "ocop", 3, "product_group", "Nhóm 7")
    assert result.frames["ocop"]["catalogue"].tolist() == ["1048", None]


def test_no_ocop_sheet_gives_an_empty_frame_with_the_catalogue_column(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal()), admin)
    assert result.frames["ocop"].empty and "catalogue" in result.frames["ocop"].columns


def test_catalogue_rule_in_one_place() -> None:
    assert rules.catalogue_in_force(date(2023, 2, 23)) == "1048"
    assert rules.catalogue_in_force(date(2023, 2, 24)) == "148"
    assert rules.catalogue_in_force(date(2019, 1, 1), "preparing") == "148"
    assert rules.catalogue_in_force(None, "rated") == "148"
    assert rules.ocop_catalogue("1048", date(2024, 1, 1), "rated") == "1048"
    assert rules.criteria_set_in_force(date(2022, 2, 1)) == "2016-2020"
    assert rules.criteria_set_in_force(date(2022, 3, 1)) == "2021-2025"
    assert rules.is_outdated_criteria_set("2016-2020", date(2023, 1, 1))
    assert not rules.is_outdated_criteria_set("2016-2020", date(2022, 12, 1))


def test_dbt_uses_the_same_dates_as_the_reader() -> None:
    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    v = project["vars"]
    assert date.fromisoformat(v["ocop_catalogue_148_from"]) == rules.CATALOGUE_148_FROM
    assert int(v["ocop_validity_months"]) == rules.OCOP_VALIDITY_MONTHS
    assert date.fromisoformat(v["reorganisation_date"]) == rules.PROVINCE_RECOGNISES_3_STARS_FROM


# ---------------------------------------------------------------------------------------------
# through the pipeline, on a real database: warnings load and reach audit.finding


def test_warned_submission_loads_with_its_warnings_in_the_audit_trail(url: str, tmp_path: Path) -> None:
    from ingest import pipeline

    sheets = phu_ly([*PHU_LY_XA, QUANG_TRUNG], period="2023-05", criteria_set="2016-2020")
    sheets["ocop"] = [OCOP_HEADER + ["valid_until"],
                      ["Thổ cẩm", PHU_LY_XA[0], "Vải và may mặc", 3, "rated", "1/3/2021", "1/3/2024"],
                      ["Mây tre", PHU_LY_XA[1], "g4", 3, "rated", "1/3/2023", "1/3/2026"],
                      ["Chè", PHU_LY_XA[2], "g2", None, "preparing", None, None]]
    [out] = pipeline.ingest_paths([str(workbook(tmp_path / "2023-05_347_v1.xlsx", sheets))], url, build_docs=False)
    assert out.status == "accepted", out.findings
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT severity, check_name, sheet, excel_row, column_name, value FROM audit.finding "
            "WHERE submission_id = %s AND check_name IN ('outdated_criteria_set', 'not_a_rural_commune') "
            "ORDER BY check_name", (out.submission_id,)).fetchall()
        criteria_set = conn.execute("SELECT criteria_set FROM raw.thong_tin WHERE submission_id = %s",
                                    (out.submission_id,)).fetchone()[0]
        communes = conn.execute("SELECT commune_code FROM raw.tieu_chi_xa WHERE submission_id = %s "
                                "ORDER BY excel_row", (out.submission_id,)).fetchall()
        catalogues = conn.execute("SELECT product_group, catalogue FROM raw.ocop WHERE submission_id = %s "
                                  "ORDER BY excel_row", (out.submission_id,)).fetchall()
    assert found == [("warning", "not_a_rural_commune", "tieu_chi_xa", 6, "commune_code", QUANG_TRUNG),
                     ("warning", "outdated_criteria_set", "thong_tin", 8, "criteria_set", "2016-2020")]
    assert criteria_set == "2016-2020"
    assert [c[0] for c in communes] == [*PHU_LY_XA, QUANG_TRUNG]   # the ward's row is kept in raw
    assert catalogues == [("g4", "1048"), ("g4", "148"), ("g2", "148")]


def test_migration_0009_derives_the_catalogue_of_existing_rows(fresh_database_url: str) -> None:
    """Rows loaded before the column existed get the date rule (re-run of 0009 on a table
    without the column)."""
    sql = (ROOT / "ingest" / "store" / "migrations" / "0009_ocop_catalogue.sql").read_text(encoding="utf-8")
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("ALTER TABLE raw.ocop DROP COLUMN catalogue")
        sid = conn.execute(
            "INSERT INTO audit.submission (file_name, sha256, bytes, file_format, archive_path) "
            "VALUES ('x.xlsx', repeat('b', 64), 1, 'xlsx', '/a/x') RETURNING submission_id").fetchone()[0]
        rows = [(1, "g4", "rated", date(2023, 2, 23)), (2, "g4", "rated", date(2023, 2, 24)),
                (3, "g1", "expired", date(2019, 9, 1)), (4, "g2", "preparing", None), (5, "g3", "rated", None)]
        for row, group, status, decided in rows:
            conn.execute("INSERT INTO raw.ocop (submission_id, excel_row, product_name, commune_code, product_group, "
                         "status, decision_date) VALUES (%s, %s, 'p', '13306', %s, %s, %s)",
                         (sid, row, group, status, decided))
        conn.execute(sql)
        got = conn.execute("SELECT catalogue FROM raw.ocop ORDER BY excel_row").fetchall()
        assert [g[0] for g in got] == ["1048", "148", "1048", "148", "148"]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE raw.ocop SET catalogue = '2019' WHERE excel_row = 1")
