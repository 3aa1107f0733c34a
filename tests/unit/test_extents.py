"""A workbook's sheet extents, declared and real, read from its XML before calamine builds any
grid: each case is a workbook written byte by byte (tests/fixtures/hostile.py, `raw_workbook`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.config import Settings
from ingest.intake.collect import Collector
from ingest.intake.extents import (
    Extent,
    Limits,
    check_extents,
    column_letters,
    column_number,
    parse_ref,
    scan_sheet,
)
from ingest.intake.reader import read_submission
from tests.fixtures.hostile import raw_workbook

A1 = b'<row r="1"><c r="A1"><v>1</v></c></row>'


def _errors(path: Path, settings: Settings | None = None) -> list:
    f = Collector()
    ok = check_extents(path, settings or Settings(), f)
    found = f.done()
    assert ok == (not found), found
    return found


def _located(findings: list) -> set[tuple]:
    return {(x.check_name, x.sheet, x.excel_row, x.column_name, x.value) for x in findings}


def test_one_cell_at_a1_and_one_at_xfd1048576_is_refused_before_any_grid(tmp_path, admin):
    path = raw_workbook(tmp_path / "corner.xlsx",
                        {"tieu_chi_xa": A1 + b'<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'})
    found = _errors(path)
    assert _located(found) == {("too_many_rows", "tieu_chi_xa", 1048576, None, "A1:XFD1048576"),
                               ("too_many_columns", "tieu_chi_xa", None, "XFD", "A1:XFD1048576")}
    rows, cols = found
    assert "over the limit of 200,015 rows" in rows.message_en and "vượt giới hạn 200.015 dòng" in rows.message_vi
    assert "column 16,384" in cols.message_en and "over the limit of 500 columns" in cols.message_en
    assert "send the .xlsx again" in rows.message_en and "gửi lại tệp .xlsx" in rows.message_vi
    # the reader refuses it the same way, in this process: calamine never saw it (it would abort)
    result = read_submission(path, admin, Settings())
    assert result.rejected and _located(result.findings) == _located(found)


def test_a_declared_dimension_of_the_whole_sheet_over_a_few_cells_is_refused(tmp_path):
    path = raw_workbook(tmp_path / "declared.xlsx", {"nguon_von": A1 + b'<row r="2"><c r="B2"><v>2</v></c></row>'},
                        {"nguon_von": "A1:XFD1048576"})
    found = _errors(path)
    assert {(x.check_name, x.value) for x in found} == {("too_many_rows", "A1:XFD1048576"),
                                                        ("too_many_columns", "A1:XFD1048576")}
    assert all("declared range A1:XFD1048576; data span A1:B2" in x.message_en for x in found)
    assert all("vùng khai báo A1:XFD1048576" in x.message_vi for x in found)


def test_real_cells_beyond_the_declared_dimension_are_found(tmp_path):
    path = raw_workbook(tmp_path / "beyond.xlsx",
                        {"ocop": A1 + b'<row r="300000"><c r="C300000"><v>2</v></c></row>'}, {"ocop": "A1:B2"})
    [found] = _errors(path)
    assert (found.check_name, found.sheet, found.excel_row, found.value) == ("too_many_rows", "ocop", 300000,
                                                                             "A1:C300000")
    assert "declared range A1:B2; data span at least A1:C300000" in found.message_en


def test_the_row_and_column_limits_are_inclusive(tmp_path):
    settings = Settings(max_rows=10, max_columns=4)  # 10 data rows + 15 header rows = 25 rows
    at = raw_workbook(tmp_path / "at.xlsx", {"tieu_chi_xa": b'<row r="25"><c r="D25"><v>1</v></c></row>'})
    assert _errors(at, settings) == []
    over = raw_workbook(tmp_path / "over.xlsx", {"tieu_chi_xa": b'<row r="26"><c r="E26"><v>1</v></c></row>'})
    assert {(x.check_name, x.value) for x in _errors(over, settings)} == {("too_many_rows", "A1:E26"),
                                                                          ("too_many_columns", "A1:E26")}


def test_sheets_each_within_the_budget_but_over_it_together_are_refused_once(tmp_path):
    row = b'<row r="100"><c r="J100"><v>1</v></c></row>'  # 100 rows x 10 columns = 1,000 cells a sheet
    path = raw_workbook(tmp_path / "many.xlsx", {"thong_tin": row, "tieu_chi_xa": row, "nguon_von": row})
    [found] = _errors(path, Settings(max_cells=2_999))
    assert (found.check_name, found.sheet, found.value) == ("too_many_rows", None, "3000")
    assert "thong_tin 100x10, tieu_chi_xa 100x10, nguon_von 100x10" in found.message_en
    assert "3.000 ô" in found.message_vi and "2.999 ô" in found.message_vi
    assert _errors(path, Settings(max_cells=3_000)) == []


def test_one_sheet_over_the_budget_names_its_rows_and_columns(tmp_path):
    path = raw_workbook(tmp_path / "one.xlsx", {"tieu_chi_xa": b'<row r="1000"><c r="T1000"><v>1</v></c></row>'})
    [found] = _errors(path, Settings(max_cells=10_000))
    assert (found.check_name, found.sheet, found.excel_row) == ("too_many_rows", "tieu_chi_xa", 1000)
    assert "spans 1,000 rows x 20 columns = 20,000 cells" in found.message_en


def test_empty_styled_cells_and_other_sheets_do_not_count(tmp_path):
    path = raw_workbook(tmp_path / "styled.xlsx", {
        "tieu_chi_xa": A1 + b'<row r="1048576"><c r="XFD1048576" s="3"/></row>',
        "ghi_chu": A1 + b'<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>',  # not a contract sheet: never read
    })
    assert _errors(path) == []


def test_cells_and_rows_without_r_are_placed_after_the_previous_ones(tmp_path):
    cells = b"<c><v>1</v></c>" * 501  # A..SG
    path = raw_workbook(tmp_path / "nor.xlsx", {"ho_tro": b"<row>" + cells + b"</row><row><c><v>1</v></c></row>"})
    [found] = _errors(path)
    assert (found.check_name, found.column_name, found.value) == ("too_many_columns", "SG", "A1:SG1")
    third = b'<row r="7"><c r="C7"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>'
    scanned = scan_sheet(io.BytesIO(third), Limits(100, 100, 10_000))
    assert scanned == (None, None, Extent(8, 4), False)  # D7 after C7; row 8 after row 7


def test_namespace_prefixes_and_chunk_boundaries(tmp_path):
    rows = b"".join(f'<x:row r="{r}"><x:c r="A{r}"><x:v>1</x:v></x:c><x:c r="C{r}" t="inlineStr"><x:is><x:t>'
                    f'{"y" * (r % 97)}</x:t></x:is></x:c></x:row>'.encode() for r in range(1, 60_001))
    assert len(rows) > 5 * (1 << 20)  # several 1 MB chunks: tags cut across their boundaries
    xml = b'<x:worksheet xmlns:x="m"><x:dimension ref="A1:C60000"/><x:sheetData>' + rows + b"</x:sheetData>"
    assert scan_sheet(io.BytesIO(xml), Limits(100_000, 10, 10**9)) == (Extent(60_000, 3), "A1:C60000",
                                                                       Extent(60_000, 3), False)


def test_the_scan_stops_at_the_first_cell_over_a_limit():
    rows = b"".join(f'<row r="{r}"><c r="B{r}"><v>1</v></c></row>'.encode() for r in range(1, 1001))
    assert scan_sheet(io.BytesIO(rows), Limits(500, 10, 10**9)) == (None, None, Extent(501, 2), True)


@pytest.mark.parametrize(("ref", "extent"), [
    ("A1:K120", Extent(120, 11)), ("$A$1:$XFD$1048576", Extent(1_048_576, 16_384)), ("B2", Extent(2, 2)),
    ("A1:C", None), ("", None),
])
def test_a_declared_ref_is_its_last_cell(ref, extent):
    assert parse_ref(ref) == extent


def test_column_letters_and_numbers():
    assert [column_letters(n) for n in (1, 26, 27, 500, 501, 16_384)] == ["A", "Z", "AA", "SF", "SG", "XFD"]
    assert [column_number(s) for s in ("A", "z", "AA", "SG", "XFD")] == [1, 26, 27, 501, 16_384]


def test_what_is_not_a_workbook_is_left_to_the_reader(tmp_path):
    (tmp_path / "text.xlsx").write_text("not a workbook")
    (tmp_path / "folder").mkdir()
    damaged = raw_workbook(tmp_path / "damaged.xlsx", {"tieu_chi_xa": A1})
    (tmp_path / "cut.xlsx").write_bytes(damaged.read_bytes()[:200])
    for name in ("text.xlsx", "folder", "cut.xlsx", "missing.xlsx"):
        assert _errors(tmp_path / name) == []
