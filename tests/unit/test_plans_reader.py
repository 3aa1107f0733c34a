"""The reader on the optional sheets kieu_mau and ke_hoach: hand-made layouts (title rows, total
rows, labels with and without diacritics, NFD text), indicators by code or Vietnamese label, and
the located errors of units that are not the submitting unit's (real administrative lists:
Huyện Nông Cống, 404, Thanh Hóa)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.contract import INDICATORS
from ingest.intake import normalise as nz
from ingest.intake.plans import plan_indicator
from ingest.intake.reader import read_submission
from tests.fixtures.plans import (
    DISTRICT,
    OTHER_DISTRICT_XA,
    PLAN_2023,
    REGISTER_ADVANCED,
    REGISTER_MODEL,
    ROADS,
    TOWNSHIP,
    VILLAGES,
    XA,
    ke_hoach_rows,
    kieu_mau_rows,
    nong_cong_sheets,
    workbook,
)


def _errors(result) -> list[tuple]:
    return [(f.check_name, f.sheet, f.excel_row, f.column_name, f.value) for f in result.findings if f.severity == "error"]


@pytest.mark.parametrize("text, code", [
    ("communes_ntm", "communes_ntm"), ("Số xã đạt chuẩn NTM", "communes_ntm"), ("so xa dat chuan ntm", "communes_ntm"),
    ("SỐ XÃ ĐẠT CHUẨN NTM NÂNG CAO", "communes_advanced"), ("Số thôn kiểu mẫu", "model_villages"),
    ("Tuyến đường mẫu", "model_roads"), ("Số sản phẩm OCOP", "ocop_products"), ("Huyện đạt chuẩn NTM", "district_ntm"),
    ("Đăng ký xã nâng cao", "register_advanced"), ("dang ky xa kieu mau", "register_model"),
    (unicodedata.normalize("NFD", "Số xã đạt chuẩn NTM kiểu mẫu"), "communes_model"),
])
def test_indicators_by_code_or_vietnamese_label(text: str, code: str) -> None:
    assert plan_indicator(text) == code


@pytest.mark.parametrize("text", ["Số xã", "communes", "", 7, True])
def test_an_unknown_indicator_is_an_error_naming_the_list(text) -> None:
    with pytest.raises(nz.NormaliseError) as err:
        plan_indicator(text)
    assert err.value.message_vi and err.value.message_en


def test_every_label_of_the_contract_is_read() -> None:
    assert {plan_indicator(label) for label in INDICATORS.values()} == set(INDICATORS)


def test_hand_made_sheets_read_with_title_and_total_rows(tmp_path: Path, admin) -> None:
    path = workbook(tmp_path / "nc.xlsx", nong_cong_sheets(kieu_mau=kieu_mau_rows(plain_labels=True),
                                                           ke_hoach=ke_hoach_rows(labels=False)))
    result = read_submission(path, admin)
    assert not _errors(result)
    km = result.frames["kieu_mau"]
    assert len(km) == 28                                          # the "Tổng cộng" row is skipped
    assert km["excel_row"].tolist()[:2] == [4, 5]                  # two title rows, then the header
    assert km["model_villages"].sum() == sum(VILLAGES.values()) == 40
    assert km["model_roads"].sum() == sum(ROADS.values()) == 37
    kh = result.frames["ke_hoach"]
    targets = kh[kh["unit_code"] == DISTRICT]
    assert dict(zip(targets["indicator"], targets["target"], strict=True)) == PLAN_2023
    assert sorted(kh.loc[kh["indicator"] == "register_advanced", "unit_code"]) == sorted(REGISTER_ADVANCED)
    assert sorted(kh.loc[kh["indicator"] == "register_model", "unit_code"]) == sorted(REGISTER_MODEL)
    assert set(kh["year"]) == {2023}


def test_numbers_in_vietnamese_style_and_a_fraction_reaches_the_rules(tmp_path: Path, admin) -> None:
    rows = kieu_mau_rows({XA[0]: "2", XA[1]: "2,5"}, {XA[0]: "1.000", XA[1]: 1}, km={XA[0]: "3,25"})
    result = read_submission(workbook(tmp_path / "n.xlsx", nong_cong_sheets(kieu_mau=rows)), admin)
    assert not _errors(result)
    km = result.frames["kieu_mau"].set_index("commune_code")
    assert km.loc[XA[0], "model_roads"] == 1000 and km.loc[XA[0], "model_roads_km"] == 3.25
    assert km.loc[XA[1], "model_villages"] == 2.5                # whole numbers are a GX rule (count_not_whole)


def test_a_sheet_without_its_required_column_is_located(tmp_path: Path, admin) -> None:
    rows = [["Năm", "Mã đơn vị", "Kế hoạch"], [2023, DISTRICT, 5]]
    result = read_submission(workbook(tmp_path / "c.xlsx", nong_cong_sheets(ke_hoach=rows)), admin)
    assert ("missing_column", "ke_hoach", 1, "indicator", None) in _errors(result)


def test_an_unknown_indicator_in_a_sheet_is_located(tmp_path: Path, admin) -> None:
    rows = [["Năm", "Mã đơn vị", "Chỉ tiêu", "Kế hoạch"], [2023, DISTRICT, "Số xã khá", 5]]
    result = read_submission(workbook(tmp_path / "i.xlsx", nong_cong_sheets(ke_hoach=rows)), admin)
    assert _errors(result) == [("bad_value", "ke_hoach", 2, "indicator", "Số xã khá")]


def test_units_that_are_not_the_submitting_units_are_located_errors(tmp_path: Path, admin) -> None:
    plan = [["Năm", "Mã đơn vị", "Chỉ tiêu", "Kế hoạch"],
            [2023, DISTRICT, "communes_ntm", 28],
            [2023, "395", "communes_model", 1],                    # another district's target
            [2023, TOWNSHIP, "register_advanced", 1],              # a township takes no part
            [2023, OTHER_DISTRICT_XA, "register_model", 1],        # a xã of Thọ Xuân
            [2023, DISTRICT, "register_model", 1],                 # a registration names a xã
            [2023, DISTRICT, "communes_ntm", 27]]                  # the same target twice
    models = kieu_mau_rows({XA[0]: 1, OTHER_DISTRICT_XA: 2}, {})
    result = read_submission(workbook(tmp_path / "u.xlsx", nong_cong_sheets(ke_hoach=plan, kieu_mau=models)), admin)
    errors = _errors(result)
    assert ("plan_unit_mismatch", "ke_hoach", 3, "unit_code", "395") in errors
    assert ("registration_not_a_xa", "ke_hoach", 4, "unit_code", TOWNSHIP) in errors
    assert ("registration_not_a_xa", "ke_hoach", 5, "unit_code", OTHER_DISTRICT_XA) in errors
    assert ("registration_not_a_xa", "ke_hoach", 6, "unit_code", DISTRICT) in errors
    assert ("duplicate_row", "ke_hoach", 7, "indicator", f"2023 / {DISTRICT} / communes_ntm") in errors
    assert ("unknown_commune", "kieu_mau", 4, "commune_code", OTHER_DISTRICT_XA) in errors   # rows sorted by code
    township = next(f for f in result.findings if f.check_name == "registration_not_a_xa" and f.value == TOWNSHIP)
    assert "Thị trấn Nông Cống" in township.message_vi and "not a xã" in township.message_en


def test_without_the_optional_sheets_the_frames_are_empty(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "e.xlsx", nong_cong_sheets()), admin)
    assert not _errors(result)
    assert result.frames["kieu_mau"].empty and result.frames["ke_hoach"].empty
