"""The blank district workbook: sheets, headers, validations, formula-injection safety."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.workbook import Workbook

from ingest.contract import (
    CRITERIA,
    GROUPS_148,
    GROUPS_1048,
    HO_TRO,
    NGUON_VON,
    OCOP,
    SOURCES,
    STATUSES,
    THONG_TIN,
    TIEU_CHI_HUYEN,
    TIEU_CHI_XA,
)
from ingest.devtools.reproducible import workbook_bytes
from ingest.devtools.template import set_text, write_template

CONTRACT_SHEETS = ["thong_tin", "tieu_chi_xa", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro"]


def test_opens_with_every_sheet_of_the_contract(wb: Workbook, template: Path) -> None:
    assert wb.sheetnames[:6] == CONTRACT_SHEETS
    assert wb["danh_muc"].sheet_state == "hidden"
    assert all(wb[s].sheet_state == "visible" for s in CONTRACT_SHEETS)
    # the fast reader opens it too
    frames = pd.read_excel(template, sheet_name=None, engine="calamine", header=None)
    assert set(CONTRACT_SHEETS) <= set(frames)


@pytest.mark.parametrize("sheet, columns", [
    ("tieu_chi_xa", TIEU_CHI_XA), ("tieu_chi_huyen", TIEU_CHI_HUYEN), ("nguon_von", NGUON_VON),
    ("ocop", OCOP), ("ho_tro", HO_TRO),
])
def test_headers_are_vietnamese_with_the_key_in_a_comment(wb: Workbook, sheet: str, columns: dict) -> None:
    ws = wb[sheet]
    assert ws.cell(1, 1).value  # instructions row above the header
    assert "A1" in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    header = [c.value for c in ws[2]][: len(columns)]
    assert header == list(columns.values())
    keys = [c.comment.text for c in ws[2]][: len(columns)]
    assert keys == [f"key: {k}" for k in columns]
    assert ws.max_row == 2  # blank: nothing below the header


def test_thong_tin_lists_every_key(wb: Workbook) -> None:
    ws = wb["thong_tin"]
    labels = [ws.cell(r, 1).value for r in range(3, 3 + len(THONG_TIN))]
    assert labels == list(THONG_TIN.values())
    comments = [ws.cell(r, 1).comment.text for r in range(3, 3 + len(THONG_TIN))]
    assert comments == [f"key: {k}" for k in THONG_TIN]
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 3 + len(THONG_TIN))}
    assert values["Lần gửi"] == 1 and values["Bộ tiêu chí"] == "2021-2025"


def _validation_lists(wb: Workbook, sheet: str) -> dict[str, list[str]]:
    """column letter -> allowed values, resolving each list formula against danh_muc."""
    lists = wb["danh_muc"]
    out = {}
    for dv in wb[sheet].data_validations.dataValidation:
        assert dv.type == "list"
        ref = dv.formula1.split("!")[1].replace("$", "")
        values = [c.value for row in lists[ref] for c in row]
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = values
            assert rng.min_row == 3 and rng.max_row >= 500
    return out


def test_dropdowns(wb: Workbook) -> None:
    xa = _validation_lists(wb, "tieu_chi_xa")
    assert len([c for c, v in xa.items() if v == ["Đ", "CĐ"]]) == len(CRITERIA)
    assert xa["W"] == ["NTM", "NTM nâng cao", "NTM kiểu mẫu"]  # ntm_title
    assert xa["Z"] == ["kk", "dbkk"]
    von = _validation_lists(wb, "nguon_von")
    assert von["B"] == list(SOURCES.values()) and "Nhân dân đóng góp" in von["B"]
    assert von["C"] == ["dtpt", "sn"]
    ocop = _validation_lists(wb, "ocop")
    assert ocop["G"] == ["3", "4", "5"]
    assert ocop["H"] == list(STATUSES)
    # groups: the names of both catalogues (a product keeps the catalogue it was rated under)
    assert ocop["F"] == [*GROUPS_148.values(), *(v for g, v in GROUPS_1048.items() if g not in ("g1", "g2"))]
    assert len(ocop["F"]) == 10
    huyen = _validation_lists(wb, "tieu_chi_huyen")
    assert huyen["B"] == ["Đ", "CĐ"] and huyen["C"] == ["NTM", "NTM nâng cao", "NTM kiểu mẫu"]


def test_a_units_template_offers_its_xa_only(tmp_path: Path) -> None:
    """Phủ Lý (347) in May 2023: 4 xã and 10 wards; the commune dropdowns list the 4 xã."""
    path = write_template(tmp_path / "347.xlsx", "347", date(2023, 5, 1))
    book = openpyxl.load_workbook(path)
    xa_codes = ["13306", "13426", "13507", "13513"]
    xa = _validation_lists(book, "tieu_chi_xa")
    assert xa["A"] == xa_codes
    assert xa["B"] == ["Xã Phù Vân", "Xã Kim Bình", "Xã Đinh Xá", "Xã Trịnh Xá"]
    assert _validation_lists(book, "ocop")["C"] == xa_codes
    assert _validation_lists(book, "ho_tro")["A"] == xa_codes
    assert _validation_lists(book, "nguon_von")["A"] == ["347", *xa_codes]
    ws = book["thong_tin"]
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 3 + len(THONG_TIN))}
    assert (values["Mã tỉnh"], values["Mã đơn vị báo cáo"], values["Kỳ báo cáo"], values["Bộ tiêu chí"]) == \
        ("35", "347", "2023-05", "2021-2025")
    # before March 2022 the 2016-2020 set is in force
    old = openpyxl.load_workbook(write_template(tmp_path / "old.xlsx", "347", date(2021, 6, 1)))["thong_tin"]
    assert old.cell(3 + list(THONG_TIN).index("criteria_set"), 2).value == "2016-2020"


def test_a_units_template_needs_a_submitting_unit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a submitting unit"):
        write_template(tmp_path / "x.xlsx", "13306", date(2023, 5, 1))   # a commune before the reform
    with pytest.raises(ValueError, match="not a submitting unit"):
        write_template(tmp_path / "y.xlsx", "347", date(2025, 8, 1))     # no districts after it
    with pytest.raises(ValueError, match="both"):
        write_template(tmp_path / "z.xlsx", "347")
    from ingest.cli.main import main
    assert main(["template", "-o", str(tmp_path / "c.xlsx"), "--unit", "999", "--month", "2023-05"]) == 2
    assert main(["template", "-o", str(tmp_path / "d.xlsx"), "--unit", "347"]) == 2
    assert main(["template", "-o", str(tmp_path / "e.xlsx"), "--unit", "347", "--month", "2023-05"]) == 0
    assert _validation_lists(openpyxl.load_workbook(tmp_path / "e.xlsx"), "tieu_chi_xa")["A"][0] == "13306"


def test_same_bytes_every_time(tmp_path: Path, template: Path) -> None:
    again = write_template(tmp_path / "again.xlsx")
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(template.read_bytes()).digest()


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_formula_like_text_is_stored_as_inert_text(tmp_path: Path, text: str) -> None:
    book = openpyxl.Workbook()
    cell = set_text(book.active, 1, 1, text)
    safe = set_text(book.active, 2, 1, "Xã An Bình")
    assert cell.data_type == "s" and cell.quotePrefix
    assert not safe.quotePrefix
    path = tmp_path / "inj.xlsx"
    path.write_bytes(workbook_bytes(book))
    back = openpyxl.load_workbook(path).active["A1"]
    assert back.value == text and back.data_type == "s" and back.quotePrefix
