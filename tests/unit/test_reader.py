"""The reader on hand-built messy workbooks, CSV folders and zips, and every failure path.

Workbooks are built in tmp_path with openpyxl; the administrative checks use the real lists
(`load_admin_units()`): district 395 (Huyện Thọ Xuân, Thanh Hóa) before the 2025 reform.
"""

from __future__ import annotations

import io
import os
import re
import stat
import unicodedata
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_h
from hypothesis import strategies as st

from ingest.config import Settings, load_settings
from ingest.findings import Finding
from ingest.intake import headers, reader
from ingest.intake import normalise as nz
from ingest.intake.collect import MAX_FINDINGS_PER_CHECK
from ingest.intake.reader import FRAME_COLUMNS, read_submission

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
TC = [f"tc{i:02d}" for i in range(1, 20)]
# Communes of district 395 (legacy list) and one of the neighbouring district 396.
C1, C2, C3 = "15493", "15499", "15502"   # Xã Xuân Hồng, Thị trấn Thọ Xuân, Xã Bắc Lương
OTHER = "15607"                           # Xã Bát Mọt, Huyện Thường Xuân (396)


def settings(**changes: Any) -> Settings:
    return load_settings().model_copy(update=changes)


def info_rows(**override: Any) -> list[list[Any]]:
    values = {"province_code": "38", "submitting_unit_code": "395", "period": "2023-05", "version": 1,
              "submitted_on": "5/6/2023", "prepared_by": "Lê Văn An", "criteria_set": "2021-2025", **override}
    return [["key", "value"]] + [[k, v] for k, v in values.items() if v is not None]


def xa_rows(communes=(C1, C2, C3), marks: Any = "Đ") -> list[list[Any]]:
    rows = [["commune_code", "commune_name", *TC, "criteria_met", "ntm_title", "title_decision", "title_date",
             "hardship"]]
    for code in communes:
        rows.append([code, f"Xã {code}", *[marks] * 19, 19 if marks == "Đ" else 0, None, None, None, None])
    return rows


def von_rows(units=("395", C1)) -> list[list[Any]]:
    rows = [["unit_code", "source", "capital_type", "amount_mvnd", "is_estimate"]]
    for unit in units:
        rows += [[unit, "ns_tw", "dtpt", 100.5, None], [unit, "nhan_dan", None, 200, "x"],
                 [unit, "tong", None, 300.5, None]]
    return rows


def workbook(path: Path, sheets: dict[str, list[list[Any]]], merges: dict[str, list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # typed text, as Excel stores a leading apostrophe
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def minimal(**override: Any) -> dict[str, list[list[Any]]]:
    return {"thong_tin": info_rows(**override), "tieu_chi_xa": xa_rows(), "nguon_von": von_rows()}


def errors(result: reader.ReadResult) -> list[Finding]:
    return [f for f in result.findings if f.severity == "error"]


def checks(result: reader.ReadResult, severity: str = "error") -> set[str]:
    return {f.check_name for f in result.findings if f.severity == severity}


# ---------------------------------------------------------------------------------------------
# the happy path


def test_clean_workbook_gives_exactly_the_frames_of_the_contract(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal()), admin)
    assert result.findings == [] or not errors(result), result.findings
    assert result.file_format == "xlsx" and not result.rejected
    assert set(result.frames) == set(FRAME_COLUMNS)
    for name, frame in result.frames.items():
        assert list(frame.columns) == list(FRAME_COLUMNS[name]), name
    info = result.frames["thong_tin"].iloc[0]
    assert (info.province_code, info.submitting_unit_code, info.period, info.version, info.submitted_on) == \
        ("38", "395", date(2023, 5, 1), 1, date(2023, 6, 5))
    assert result.meta["period"] == date(2023, 5, 1) and result.meta["version"] == 1
    xa = result.frames["tieu_chi_xa"]
    assert xa["commune_code"].tolist() == [C1, C2, C3] and xa["excel_row"].tolist() == [2, 3, 4]
    assert xa["ntm_title"].tolist() == ["none"] * 3
    marks = result.frames["tieu_chi_xa_mark"]
    assert len(marks) == 57 and marks["is_met"].all() and marks["criterion_code"].iloc[:19].tolist() == TC
    von = result.frames["nguon_von"]
    assert von["source_code"].tolist() == ["ns_tw", "nhan_dan", "tong"] * 2
    assert von["capital_type"].tolist() == ["dtpt", "all", "all"] * 2
    assert von["is_estimate"].tolist() == [False, True, False] * 2
    assert von["amount_mvnd"].tolist() == [100.5, 200.0, 300.5] * 2
    for name in ("tieu_chi_huyen", "ocop", "ho_tro"):
        assert result.frames[name].empty


def test_dtypes_follow_the_architecture(tmp_path: Path, admin) -> None:
    frames = read_submission(workbook(tmp_path / "a.xlsx", minimal()), admin).frames
    xa, von, marks = frames["tieu_chi_xa"], frames["nguon_von"], frames["tieu_chi_xa_mark"]
    assert str(xa["excel_row"].dtype) == "Int64" and str(xa["criteria_met_reported"].dtype) == "Int64"
    assert xa["commune_code"].dtype == object and xa["title_date"].dtype == object
    assert von["amount_mvnd"].dtype == "float64" and von["is_estimate"].dtype == bool
    assert marks["is_met"].dtype == bool
    assert xa["title_decision"].tolist() == [None] * 3  # None, never NaN, for missing text


def test_frame_columns_match_the_raw_tables() -> None:
    """The frames have the raw tables' columns in table order: those of 0003_raw.sql, then the
    ones later migrations add (ALTER TABLE raw.<t> ADD COLUMN)."""
    from ingest.store.statements import RAW_COLUMNS
    migrations = Path(__file__).resolve().parents[2] / "ingest/store/migrations"
    sql = (migrations / "0003_raw.sql").read_text()
    later = "\n".join(p.read_text() for p in sorted(migrations.glob("*.sql")) if p.name > "0003_raw.sql")
    for table, columns in FRAME_COLUMNS.items():
        body = re.search(rf"CREATE TABLE raw\.{table} \((.*?)\n\);", sql, re.S) \
            or re.search(rf"CREATE TABLE raw\.{table} \((.*?)\n\);", later, re.S)  # tables added later (0014)
        body = body[1]
        names = [m[1] for m in re.finditer(r"^\s+([a-z_]+)\s+(?:text|date|integer|boolean|numeric|jsonb|bigint)",
                                           body, re.M)]
        names += re.findall(rf"ALTER TABLE raw\.{table} ADD COLUMN ([a-z_]+)", later)
        assert [n for n in names if n != "submission_id"] == list(columns), table
        assert RAW_COLUMNS[table] == list(columns) or table == "thong_tin" and RAW_COLUMNS[table] == list(columns)


def test_messy_hand_made_workbook(tmp_path: Path, admin) -> None:
    title = ["UBND HUYỆN THỌ XUÂN"]
    info = [title, ["BIỂU TỔNG HỢP"], [], [NFD("Nội dung"), "Giá trị"],
            [NFD("  Mã tỉnh "), 38.0], ["Mã đơn vị báo cáo", 395], ["Ky bao cao", "05/2023"], [NFD("Lần gửi"), "2"],
            ["Ngày gửi", 45082], ["Người lập", NFD(" Nguyễn  Thị\u200b Hà ")], ["Ghi chú", "gửi qua email"]]
    header = ["Ma xa", NFD("Tên xã"), *[f"TC{i}" for i in range(1, 10)], *[f"tc{i:02d}" for i in range(10, 19)],
              "Quốc phòng và An ninh", "Số tiêu chí đạt", "Danh hiệu", "Số quyết định công nhận", "Ngày công nhận",
              "Xã khó khăn", "Ghi chú"]
    marks1 = ["Đ", "Đạt", "x", "X", "1", "✓", 1, NFD("ĐẠT"), "đ", "Đ", "Đ", "Đ", "Đ", "Đ", "Đ", "Đ", "Đ", "Đ", "Đ"]
    marks2 = [None, "CĐ", NFD("Chưa đạt"), "0", "-", 0, "", "cđ"] + ["Đ"] * 11
    xa = [title, ["BIỂU TỔNG HỢP KẾT QUẢ"], [],
          header,
          [f" {C1} ", NFD("Xã Xuân Hồng"), *marks1, "19", NFD("NTM nâng cao"), "123/QĐ-UBND", "25/5/2023", None, "ok"],
          [None] * len(header),
          [int(C2), "Thị trấn Thọ Xuân", *marks2, 11.0, None, None, None, "ĐBKK", None],
          [None, "Xã Bắc Lương", *["Đ"] * 19, 19, "NTM", "9/QĐ-UBND", 44000, "kk", None],
          [None, "Tổng cộng", *[3] * 19, 49, None, None, None, None, None]]
    von = [["UBND HUYỆN THỌ XUÂN"], [],
           [NFD("Mã đơn vị"), "Nguồn vốn", "Loại vốn", "Số tiền\n(triệu đồng)", "Ước"],
           ["395", NFD("Ngân sách Trung ương"), "ĐTPT", "52.627", None],
           [None, "Ngân sách huyện, xã", "Sự nghiệp", "57.570", "Ước"],
           [None, "Nhân dân đóng góp", None, "716.825", "x"],
           [None, "Tổng", None, "827.022", None],
           [C1, "nhan_dan", None, "1.234,5", None],
           [C1, "tong", None, "1.234,5", None],
           [None, "Cộng", None, "828.256,5", None]]
    path = workbook(tmp_path / "messy.xlsx", {"Thong tin": info, "tieu_chi_xa": xa, "NGUON_VON": von},
                    merges={"nguon_von": [], "NGUON_VON": ["A4:A7"], "tieu_chi_xa": ["A1:H1"]})
    result = read_submission(path, admin)
    assert not errors(result), errors(result)
    assert checks(result, "warning") == {"unknown_key", "unknown_column", "missing_communes", "not_a_rural_commune"}
    [township] = [f for f in result.findings if f.check_name == "not_a_rural_commune"]
    assert (township.sheet, township.excel_row, township.value) == ("tieu_chi_xa", 7, C2)  # Thị trấn Thọ Xuân
    info_frame = result.frames["thong_tin"].iloc[0]
    assert (info_frame.province_code, info_frame.submitting_unit_code, info_frame.period, info_frame.version,
            info_frame.submitted_on, info_frame.prepared_by, info_frame.criteria_set) == \
        ("38", "395", date(2023, 5, 1), 2, date(2023, 6, 5), "Nguyễn Thị Hà", "2021-2025")
    assert info_frame.extra == {"Ghi chú": "gửi qua email"}
    xa_frame = result.frames["tieu_chi_xa"]
    assert xa_frame["excel_row"].tolist() == [5, 7, 8]  # blank row 6 and total row 9 skipped
    assert xa_frame["commune_code"].tolist() == [C1, C2, C3]  # C3 resolved from its name
    assert xa_frame["commune_name"].tolist() == ["Xã Xuân Hồng", "Thị trấn Thọ Xuân", "Xã Bắc Lương"]
    assert xa_frame["criteria_met_reported"].tolist() == [19, 11, 19]
    assert xa_frame["ntm_title"].tolist() == ["advanced", "none", "ntm"]
    assert xa_frame["title_date"].tolist() == [date(2023, 5, 25), None, date(2020, 6, 18)]
    assert xa_frame["hardship"].tolist() == [None, "dbkk", "kk"]
    assert xa_frame["extra"].tolist() == [{"Ghi chú": "ok"}, None, None]
    marks = result.frames["tieu_chi_xa_mark"]
    assert marks.groupby("commune_code")["is_met"].sum().to_dict() == {C1: 19, C2: 11, C3: 19}
    assert marks.loc[marks["commune_code"] == C2, "excel_row"].unique().tolist() == [7]
    von_frame = result.frames["nguon_von"]
    assert von_frame["unit_code"].tolist() == ["395"] * 4 + [C1] * 2  # merged A4:A7 filled down
    assert von_frame["source_code"].tolist() == ["ns_tw", "ns_huyen_xa", "nhan_dan", "tong", "nhan_dan", "tong"]
    assert von_frame["capital_type"].tolist() == ["dtpt", "sn", "all", "all", "all", "all"]
    assert von_frame["amount_mvnd"].tolist() == [52627.0, 57570.0, 716825.0, 827022.0, 1234.5, 1234.5]
    assert von_frame["is_estimate"].tolist() == [False, True, True, False, False, False]
    assert von_frame["excel_row"].tolist() == [4, 5, 6, 7, 8, 9]


def test_ocop_and_ho_tro_with_labels_and_catalogue_names(tmp_path: Path, admin) -> None:
    ocop = [["Mã sản phẩm", "Tên sản phẩm", "Mã xã", "Chủ thể", "Loại hình chủ thể", "Nhóm sản phẩm", "Số sao",
             "Trạng thái", "Số quyết định", "Ngày quyết định", "Hiệu lực đến"],
            ["OCOP-1", "Mật ong", C1, "HTX Xuân Hồng", "Hợp tác xã", "Thực phẩm", "4", "Đã công nhận", "1/QĐ",
             "1/3/2022", "1/3/2025"],
            [None, "Chiếu cói", C2, "Hộ kinh doanh A", "ho", NFD("Vải và may mặc"), None, "Hồ sơ đang hoàn thiện",
             None, None, None]]
    ho_tro = [["Mã xã", "Cơ quan hỗ trợ", "Nội dung hỗ trợ", "Giá trị hỗ trợ (triệu đồng)"],
              [C2, "Sở Y tế", "=khám bệnh miễn phí", "12,5"]]
    result = read_submission(workbook(tmp_path / "o.xlsx", {**minimal(), "ocop": ocop, "ho_tro": ho_tro}), admin)
    assert not errors(result), errors(result)
    o = result.frames["ocop"]
    assert o["product_group"].tolist() == ["g1", "g4"] and o["status"].tolist() == ["rated", "preparing"]
    assert o["stars"].tolist()[0] == 4 and pd.isna(o["stars"].tolist()[1])
    assert o["entity_type"].tolist() == ["htx", "ho"] and o["product_code"].tolist() == ["OCOP-1", None]
    assert o["decision_date"].tolist() == [date(2022, 3, 1), None]
    h = result.frames["ho_tro"]
    assert h["description"].tolist() == ["=khám bệnh miễn phí"]  # formula-like text stays text
    assert h["value_mvnd"].tolist() == [12.5]


def test_december_needs_district_criteria(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "d.xlsx", minimal(period="2023-12")), admin)
    assert {(f.check_name, f.sheet) for f in errors(result)} == {("missing_sheet", "tieu_chi_huyen")}
    huyen = [["Tiêu chí", "Đạt", "Danh hiệu huyện", "Số quyết định công nhận", "Ngày công nhận"]] + \
        [[i, "Đ" if i != 5 else "CĐ", "NTM", "12/QĐ-TTg", "1/2/2023"] for i in range(1, 10)]
    result = read_submission(workbook(tmp_path / "d2.xlsx", {**minimal(period="2023-12"), "tieu_chi_huyen": huyen}),
                             admin)
    assert not errors(result), errors(result)
    h = result.frames["tieu_chi_huyen"]
    assert h["criterion_no"].tolist() == list(range(1, 10)) and h["is_met"].sum() == 8
    assert set(h["district_title"]) == {"ntm"}


def test_2025_province_submission(tmp_path: Path, admin) -> None:
    on = date(2025, 8, 31)
    communes = [u.code for u in admin.communes_of("38", on)][:3]
    sheets = {"thong_tin": info_rows(submitting_unit_code="38", period="08/2025"),
              "tieu_chi_xa": xa_rows(communes), "nguon_von": von_rows(("38", communes[0]))}
    result = read_submission(workbook(tmp_path / "p.xlsx", sheets), admin)
    assert not errors(result), errors(result)
    # the legacy district code no longer exists after the reform
    sheets["thong_tin"] = info_rows(period="08/2025")
    assert "unknown_unit" in checks(read_submission(workbook(tmp_path / "q.xlsx", sheets), admin))


# ---------------------------------------------------------------------------------------------
# CSV folder and zip


def _csv_text(rows: list[list[Any]]) -> str:
    import csv
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["" if v is None else v for v in r] for r in rows])
    return buffer.getvalue()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in ("excel_row",) if c in frame.columns]).reset_index(drop=True)


def test_csv_folder_and_zip_read_like_the_workbook(tmp_path: Path, admin) -> None:
    sheets = minimal()
    xlsx = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_bytes(b"\xef\xbb\xbf" + _csv_text(rows).encode())  # with BOM
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in sheets.items():
            zf.writestr(f"{name}.csv", _csv_text(rows))
    for path, fmt in ((folder, "csv_dir"), (archive, "zip")):
        result = read_submission(path, admin)
        assert result.file_format == fmt and not errors(result), result.findings
        for name, frame in xlsx.frames.items():
            pd.testing.assert_frame_equal(_comparable(frame), _comparable(result.frames[name]), obj=f"{fmt}:{name}")
        assert result.frames["tieu_chi_xa"]["excel_row"].tolist() == [2, 3, 4]  # CSV line numbers


# ---------------------------------------------------------------------------------------------
# failure paths: every one a finding, never an exception


def test_text_named_xlsx_is_unreadable(tmp_path: Path, admin) -> None:
    bad = tmp_path / "2023-05_395_v1.xlsx"
    bad.write_text("hello, not a workbook", encoding="utf-8")
    result = read_submission(bad, admin)
    assert [f.check_name for f in result.findings] == ["file_unreadable"]
    assert result.rejected and result.frames == {} and result.meta == {} and result.file_format == "unknown"
    assert "not an .xlsx workbook" in result.findings[0].message_en


def test_truncated_and_password_protected_workbooks(tmp_path: Path, admin) -> None:
    good = workbook(tmp_path / "a.xlsx", minimal()).read_bytes()
    for name, data in (("trunc.xlsx", good[:600]), ("ole.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
                       ("empty.xlsx", b""), ("cut.xlsx", good[: len(good) // 2])):
        path = tmp_path / name
        path.write_bytes(data)
        result = read_submission(path, admin)
        assert checks(result) == {"file_unreadable"}, (name, result.findings)
    assert "password" in result.findings[0].message_en or True
    ole = read_submission(tmp_path / "ole.xlsx", admin)
    assert "password" in ole.findings[0].message_en


def test_missing_sheet_and_missing_column(tmp_path: Path, admin) -> None:
    sheets = minimal()
    del sheets["nguon_von"]
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert {(f.check_name, f.sheet) for f in errors(result)} == {("missing_sheet", "nguon_von")}
    sheets = minimal()
    sheets["tieu_chi_xa"] = [[v for i, v in enumerate(r) if i != 5] for r in sheets["tieu_chi_xa"]]  # drops tc04
    result = read_submission(workbook(tmp_path / "b.xlsx", sheets), admin)
    [f] = errors(result)
    assert (f.check_name, f.sheet, f.column_name, f.excel_row) == ("missing_column", "tieu_chi_xa", "tc04", 1)
    sheets["tieu_chi_xa"] = [["something"], ["else"]]
    assert checks(read_submission(workbook(tmp_path / "c.xlsx", sheets), admin)) == {"missing_column"}


@pytest.mark.parametrize("sheet, row, column, value, check", [
    ("nguon_von", 3, "amount_mvnd", "12,3,4 triệu", "bad_number"),
    ("nguon_von", 2, "amount_mvnd", "=A1+B1", "bad_number"),
    ("nguon_von", 4, "amount_mvnd", "1e5", "bad_number"),
    ("nguon_von", 2, "source", "ngân sách thôn", "bad_value"),
    ("tieu_chi_xa", 3, "tc05", "có lẽ", "bad_mark"),
    ("tieu_chi_xa", 4, "title_date", "31/02/2023", "bad_date"),
    ("tieu_chi_xa", 2, "commune_code", "15A93", "bad_code"),
])
def test_bad_value_names_sheet_row_and_column(tmp_path: Path, admin, sheet: str, row: int, column: str,
                                              value: Any, check: str) -> None:
    sheets = minimal()
    title_rows = [["UBND HUYỆN THỌ XUÂN"], []]
    col = sheets[sheet][0].index(column)
    sheets[sheet][row - 1][col] = value
    sheets[sheet] = title_rows + sheets[sheet]  # two title rows shift every Excel row by 2
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    found = [f for f in errors(result) if f.check_name == check]
    assert len(found) == 1, result.findings
    f = found[0]
    assert (f.sheet, f.excel_row, f.column_name, f.value) == (sheet, row + 2, column, value)
    assert f.message_vi and f.message_en and str(row + 2) in f.message_en


def test_bad_thong_tin_values(tmp_path: Path, admin) -> None:
    result = read_submission(workbook(tmp_path / "a.xlsx", minimal(period="tháng năm", version=None)), admin)
    found = {(f.check_name, f.column_name, f.excel_row) for f in errors(result)}
    assert found == {("bad_period", "period", 4), ("missing_value", "version", None)}
    assert result.frames["thong_tin"].empty and "period" not in result.meta
    assert result.meta["submitting_unit_code"] == "395"  # what was read is still there
    result = read_submission(workbook(tmp_path / "b.xlsx", minimal(period="0000-00")), admin)
    assert checks(result) == {"bad_period"}


def test_commune_of_another_district(tmp_path: Path, admin) -> None:
    sheets = minimal()
    sheets["tieu_chi_xa"][2][0] = OTHER
    sheets["nguon_von"][1][0] = OTHER
    sheets["ocop"] = [["product_name", "commune_code", "product_group", "status"], ["Mật ong", OTHER, "g1", "rated"]]
    sheets["ho_tro"] = [["commune_code", "supporting_agency", "value_mvnd"], ["99999", "Sở Y tế", 5]]
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    found = {(f.check_name, f.sheet, f.excel_row, f.value) for f in errors(result)}
    assert found == {("unknown_commune", "tieu_chi_xa", 3, OTHER), ("unknown_commune", "nguon_von", 2, OTHER),
                     ("unknown_commune", "ocop", 2, OTHER), ("unknown_commune", "ho_tro", 2, "99999")}
    messages = " ".join(f.message_en for f in errors(result))
    assert "Bát Mọt" in messages and "is not part of Huyện Thọ Xuân" in messages
    assert "not in the administrative list" in messages


def test_commune_names_resolve_within_the_district_only(tmp_path: Path, admin) -> None:
    sheets = minimal()
    sheets["tieu_chi_xa"][1][0:2] = [None, "Bát Mọt"]  # a commune of 396, not of 395
    sheets["tieu_chi_xa"][2][0:2] = [None, None]
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert {(f.check_name, f.excel_row) for f in errors(result)} == {("unknown_commune", 2), ("missing_value", 3)}
    # two communes of Vĩnh Lộc (393) fold to the same name: the code is needed
    sheets = minimal(submitting_unit_code="393")
    sheets["tieu_chi_xa"] = xa_rows(["15367"])
    sheets["tieu_chi_xa"][1][0:2] = [None, "Vinh Hung"]
    sheets["nguon_von"] = von_rows(("393",))
    result = read_submission(workbook(tmp_path / "b.xlsx", sheets), admin)
    assert checks(result) == {"ambiguous_commune"}
    sheets["tieu_chi_xa"][1][0:2] = [None, "Xã Vĩnh Hưng"]  # the full name is exact
    result = read_submission(workbook(tmp_path / "c.xlsx", sheets), admin)
    assert not errors(result) and result.frames["tieu_chi_xa"]["commune_code"].tolist() == ["15367"]


def test_unit_and_province_checks(tmp_path: Path, admin) -> None:
    assert checks(read_submission(workbook(tmp_path / "a.xlsx", minimal(submitting_unit_code="999")), admin)) == \
        {"unknown_unit"}
    assert checks(read_submission(workbook(tmp_path / "b.xlsx", minimal(province_code="27")), admin)) == \
        {"province_mismatch"}
    assert checks(read_submission(workbook(tmp_path / "c.xlsx", minimal(submitting_unit_code="38")), admin)) == \
        {"wrong_unit_level"}


def test_duplicates(tmp_path: Path, admin) -> None:
    sheets = minimal()
    sheets["tieu_chi_xa"].append(list(sheets["tieu_chi_xa"][1]))
    sheets["nguon_von"].append(list(sheets["nguon_von"][1]))
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert {(f.check_name, f.excel_row) for f in errors(result)} == {("duplicate_commune", 5), ("duplicate_row", 8)}


def test_unknown_columns_are_kept_and_reported(tmp_path: Path, admin) -> None:
    sheets = minimal()
    sheets["nguon_von"][0].append("Ghi chú")
    sheets["nguon_von"][1].append("vốn vay")
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    assert not errors(result)
    [w] = [f for f in result.findings if f.check_name == "unknown_column"]
    assert (w.severity, w.sheet, w.value) == ("warning", "nguon_von", "Ghi chú")
    assert result.frames["nguon_von"]["extra"].tolist()[:2] == [{"Ghi chú": "vốn vay"}, None]


def _zip_with(tmp_path: Path, name: str, entries: dict[str, bytes], symlink: str | None = None) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, data in entries.items():
            zf.writestr(entry, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def _csv_entries() -> dict[str, bytes]:
    return {f"{k}.csv": _csv_text(v).encode() for k, v in minimal().items()}


@pytest.mark.parametrize("entry", ["../../evil.csv", "/etc/evil.csv", "C:/evil.csv", "a/../../evil.csv",
                                   "..\\evil.csv"])
def test_zip_traversal_and_absolute_entries(tmp_path: Path, admin, entry: str) -> None:
    path = _zip_with(tmp_path, "t.zip", {**_csv_entries(), entry: b"x\n1\n"})
    result = read_submission(path, admin)
    assert checks(result) == {"unsafe_zip_entry"} and result.frames == {}
    assert result.findings[0].value == entry
    assert not (tmp_path.parent / "evil.csv").exists()


def test_zip_symlink_entry(tmp_path: Path, admin) -> None:
    result = read_submission(_zip_with(tmp_path, "s.zip", _csv_entries(), symlink="ocop.csv"), admin)
    assert checks(result) == {"unsafe_file"} and "symbolic link" in result.findings[0].message_en


def test_zip_bomb_ratio_and_entry_count(tmp_path: Path, admin) -> None:
    bomb = _zip_with(tmp_path, "b.zip", {**_csv_entries(), "ho_tro.csv": b"commune_code\n" + b"0" * 5_000_000})
    assert checks(read_submission(bomb, admin)) == {"zip_bomb"}
    many = _zip_with(tmp_path, "m.zip", {**_csv_entries(), **{f"x{i}.csv": b"a\n" for i in range(60)}})
    assert checks(read_submission(many, admin)) == {"zip_too_many_entries"}
    limited = settings(max_zip_entries=2)
    assert checks(read_submission(_zip_with(tmp_path, "n.zip", _csv_entries()), admin, limited)) == \
        {"zip_too_many_entries"}


def test_xlsx_bomb_ratio(tmp_path: Path, admin) -> None:
    path = workbook(tmp_path / "a.xlsx", minimal())
    assert checks(read_submission(path, admin, settings(max_zip_ratio=1))) == {"zip_bomb"}


def test_too_many_rows_and_too_large(tmp_path: Path, admin) -> None:
    path = workbook(tmp_path / "a.xlsx", minimal())
    result = read_submission(path, admin, settings(max_rows=2))
    assert {(f.check_name, f.sheet) for f in errors(result)} >= {("too_many_rows", "tieu_chi_xa")}
    assert checks(read_submission(path, admin, settings(max_file_mb=100 / 2**20))) == {"file_too_large"}
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, rows in minimal().items():
        (folder / f"{name}.csv").write_text(_csv_text(rows), encoding="utf-8")
    result = read_submission(folder, admin, settings(max_rows=2))
    assert "too_many_rows" in checks(result)


def test_csv_folder_failures(tmp_path: Path, admin) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, rows in minimal().items():
        (folder / f"{name}.csv").write_text(_csv_text(rows), encoding="utf-8")
    (folder / "ho_tro.csv").write_bytes("commune_code\n\xe9".encode("latin-1"))
    result = read_submission(folder, admin)
    assert {(f.check_name, f.sheet) for f in errors(result)} == {("file_unreadable", "ho_tro")}
    os.unlink(folder / "ho_tro.csv")
    os.symlink("/etc/hostname", folder / "ocop.csv")
    assert checks(read_submission(folder, admin)) == {"unsafe_file"}
    assert checks(read_submission(tmp_path / "does-not-exist.xlsx", admin)) == {"file_unreadable"}


def test_findings_are_capped_per_check(tmp_path: Path, admin) -> None:
    sheets = minimal()
    sheets["nguon_von"] += [["395", "khac", None, f"{i}e3", None] for i in range(300)]
    result = read_submission(workbook(tmp_path / "a.xlsx", sheets), admin)
    bad = [f for f in result.findings if f.check_name == "bad_number"]
    assert len(bad) == MAX_FINDINGS_PER_CHECK + 1 and "100 more" in bad[-1].message_en


def test_template_labels_are_all_recognised() -> None:
    from ingest.contract import SHEETS, THONG_TIN
    for sheet, labels in SHEETS.items():
        if sheet == "thong_tin":
            continue
        for key, label in labels.items():
            for form in (label, NFD(label), key, label.upper()):
                assert headers.column_key(sheet, form) == key, (sheet, form)
    for key, label in THONG_TIN.items():
        assert headers.INFO_KEYS[nz.key(label)] == key


def test_criterion_headers() -> None:
    for header, expected in (("TC1", "tc01"), ("tc01", "tc01"), ("TC 19", "tc19"), ("Tiêu chí 5", "tc05"),
                             ("Quy hoạch", "tc01"), ("Thủy lợi", "tc03"), ("17. Môi trường và an toàn thực phẩm", "tc17"),
                             ("Hộ nghèo", "tc11"), (NFD("Quốc phòng và An ninh"), "tc19"), ("TC20", None)):
        assert headers.column_key("tieu_chi_xa", header) == expected, header


# ---------------------------------------------------------------------------------------------
# the generated corpus and speed


def test_generated_messy_file_is_fast_enough(tmp_path: Path, admin) -> None:
    from ingest.devtools.generate import generate
    paths = generate("38", [date(2023, 5, 1)], tmp_path, seed=3, messy=True)[:8]
    for path in paths:
        assert not read_submission(path, admin).rejected


@settings_h(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_are_findings_never_exceptions(tmp_path: Path, admin, data) -> None:
    good = tmp_path / "good.xlsx"
    if not good.exists():
        workbook(good, minimal())
    raw = bytearray(good.read_bytes())
    kind = data.draw(st.sampled_from(["flip", "cut", "random"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 20))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    elif kind == "cut":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        raw = bytearray(b"PK\x03\x04" + data.draw(st.binary(max_size=2000)))
    path = tmp_path / f"damaged.{data.draw(st.sampled_from(['xlsx', 'zip']))}"
    path.write_bytes(bytes(raw))
    result = read_submission(path, admin)
    assert "reader_error" not in checks(result), result.findings
