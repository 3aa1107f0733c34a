"""The feedback workbook a district can act on (issue 13, item 7): its own file, each finding's
cell highlighted and commented, a first sheet "Kết quả kiểm tra" listing the findings with a link
to each cell; written to the outbox per district and month; `ntm feedback`. Read back with openpyxl
from submissions that went through the real pipeline (tests/fixtures/audit.py, hostile_audit)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import psycopg
import pytest

from ingest.cli.main import main
from ingest.serve.feedback import SUMMARY_SHEET, outbox_path, vietnamese_message, write_feedback
from tests.fixtures.audit import FORMULA, IMG, RICH, SCRIPT

# Hand-read from the fixture: 258's tieu_chi_xa has commune_code, commune_name, tc01..tc19, ... in
# A..Z (26 columns); the hostile marks are tc01 row 2 (C2), tc02 row 3 (D3), tc03 row 4 (E4); the
# unknown column is the 27th header (AA1); the unknown thong_tin item is A9 (its label).
EXPECTED_258 = {("tieu_chi_xa", "C2"): ("error", "bad_mark"), ("tieu_chi_xa", "D3"): ("error", "bad_mark"),
                ("tieu_chi_xa", "E4"): ("error", "bad_mark"), ("tieu_chi_xa", "AA1"): ("warning", "unknown_column"),
                ("thong_tin", "A9"): ("warning", "unknown_key")}
FILL = {"error": "FFC7CE", "warning": "FFEB9C"}


def _summary_rows(ws) -> list[tuple]:
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")
    assert [c.value for c in ws[header]][:7] == ["STT", "Mức độ", "Trang", "Ô", "Giá trị", "Nội dung", "Cách khắc phục"]
    return [tuple(c for c in row[:7]) for row in ws.iter_rows(min_row=header + 1) if row[0].value is not None]


def test_each_finding_is_commented_on_its_exact_cell(hostile_audit, tmp_path) -> None:
    sid = hostile_audit["ids"]["258"]
    path = write_feedback(hostile_audit["url"], sid, tmp_path / "fb.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == SUMMARY_SHEET and wb.active.title == SUMMARY_SHEET
    assert {"thong_tin", "tieu_chi_xa", "nguon_von"} <= set(wb.sheetnames)   # the district's own sheets
    commented = {(ws.title, c.coordinate): c for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row
                 if c.comment is not None}
    assert set(commented) == set(EXPECTED_258)
    for (sheet, coord), (severity, _check) in EXPECTED_258.items():
        cell = commented[(sheet, coord)]
        assert cell.fill.fgColor.rgb.endswith(FILL[severity]), (sheet, coord)
        assert cell.comment.text.startswith({"error": "Lỗi: ", "warning": "Cảnh báo: "}[severity])
    assert "Xã Dũng Liệt" in commented[("tieu_chi_xa", "C2")].comment.text   # the commune by name and code
    assert "09196" in commented[("tieu_chi_xa", "C2")].comment.text
    # the district's own values are untouched
    assert wb["tieu_chi_xa"]["D3"].value == RICH and wb["tieu_chi_xa"]["E4"].value == SCRIPT


def test_summary_sheet_lists_findings_with_links_to_their_cells(hostile_audit, tmp_path) -> None:
    path = write_feedback(hostile_audit["url"], hostile_audit["ids"]["258"], tmp_path / "fb.xlsx")
    ws = openpyxl.load_workbook(path)[SUMMARY_SHEET]
    assert ws["A1"].value == "Kết quả kiểm tra báo cáo NTM"
    assert ws["B2"].value == "Huyện Yên Phong (258)" and ws["B3"].value == "05/2023"
    assert ws["B6"].value == "Bị từ chối" and ws["B7"].value == "3 lỗi, 2 cảnh báo"
    rows = _summary_rows(ws)
    assert [r[1].value for r in rows] == ["Lỗi", "Lỗi", "Lỗi", "Cảnh báo", "Cảnh báo"]   # errors first
    links = {(r[2].value, r[3].value): r[3].hyperlink.location for r in rows}
    assert links == {(sheet, coord): f"'{sheet}'!{coord}" for sheet, coord in EXPECTED_258}
    values = {r[3].value: r[4] for r in rows}
    assert values["C2"].value == FORMULA and values["C2"].data_type == "s"      # text, never a formula
    assert values["AA1"].value == IMG
    assert all(r[6].value for r in rows)                                          # what to do, always
    assert rows[0][6].value == "Chọn giá trị trong danh sách: Đạt / Chưa đạt."


def test_no_value_the_module_writes_becomes_a_formula(hostile_audit, tmp_path) -> None:
    path = write_feedback(hostile_audit["url"], hostile_audit["ids"]["258"], tmp_path / "fb.xlsx")
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        first = re.search(r'<sheet [^>]*name="Kết quả kiểm tra"[^>]*r:id="(rId\d+)"', workbook).group(1)
        target = re.search(rf'Id="{first}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels) or \
            re.search(rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{first}"', rels)
        summary_xml = z.read(f"xl/{target.group(1)}").decode()
    assert "<f>" not in summary_xml and "<f " not in summary_xml
    assert "=HYPERLINK(" in summary_xml.replace("&quot;", '"')    # the value is there, as text


def test_csv_submission_becomes_a_workbook_with_its_cells_commented(hostile_audit, tmp_path) -> None:
    path = write_feedback(hostile_audit["url"], hostile_audit["ids"]["259"], tmp_path / "fb_csv.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == SUMMARY_SHEET and "tieu_chi_xa" in wb.sheetnames
    xa = wb["tieu_chi_xa"]
    assert xa["A1"].value == "commune_code"
    assert xa["C2"].comment is not None and "tc01" in xa["C2"].comment.text     # the ANSI-laden mark
    assert "\x1b" not in (xa["C2"].value or "")                                 # escape sequences dropped
    assert xa["A3"].comment is not None and "'OK'" in xa["A3"].comment.text     # bad commune code


def test_unreadable_file_gets_the_summary_alone(hostile_audit, tmp_path) -> None:
    path = write_feedback(hostile_audit["url"], hostile_audit["ids"]["262"], tmp_path / "fb_unreadable.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SUMMARY_SHEET]
    rows = _summary_rows(wb[SUMMARY_SHEET])
    assert [r[1].value for r in rows] == ["Lỗi"] and rows[0][3].hyperlink is None
    assert wb[SUMMARY_SHEET]["B2"].value == "Thị xã Thuận Thành (262)"        # named by the file name


def test_outbox_holds_one_workbook_per_rejected_or_warned_submission(hostile_audit) -> None:
    ids, outbox = hostile_audit["ids"], hostile_audit["outbox"]
    with psycopg.connect(hostile_audit["url"]) as conn:
        warned = {r[0] for r in conn.execute("SELECT DISTINCT submission_id FROM audit.finding")}
    assert set(outbox) == {ids["258"], ids["259"], ids["262"]} | warned
    state = hostile_audit["state"]
    assert outbox[ids["258"]].parent == state / "outbox" / "258" / "2023-05"
    assert outbox[ids["262"]].parent == state / "outbox" / "262" / "2023-05"
    assert all(p.is_file() for p in outbox.values())
    assert outbox_path(hostile_audit["url"], ids["258"]) == outbox[ids["258"]]


def test_ntm_feedback_writes_the_file_asked_for(hostile_audit, tmp_path, capsys) -> None:
    out = tmp_path / "by_hand.xlsx"
    code = main(["feedback", "--database-url", hostile_audit["url"], "--submission", str(hostile_audit["ids"]["258"]),
                 "-o", str(out)])
    assert code == 0 and Path(capsys.readouterr().out.strip()) == out
    assert openpyxl.load_workbook(out).sheetnames[0] == SUMMARY_SHEET
    assert main(["feedback", "--database-url", hostile_audit["url"], "--submission", "999999", "-o",
                 str(tmp_path / "none.xlsx")]) == 1
    assert "no submission 999999" in capsys.readouterr().err


@pytest.mark.parametrize(("message", "expected"), [
    ("Xã 09196 có danh hiệu advanced nhưng chỉ đạt 15/19 tiêu chí",
     "Xã Dũng Liệt (09196) có danh hiệu NTM nâng cao nhưng chỉ đạt 15/19 tiêu chí"),
    ("Xã 09199 có danh hiệu model", "Xã Tam Đa (09199) có danh hiệu NTM kiểu mẫu"),
    ("Mã 12345 không có", "Mã 12345 không có"),                  # an unknown code stays a code
])
def test_messages_name_communes_and_titles_in_vietnamese(message: str, expected: str) -> None:
    names = {"09196": "Xã Dũng Liệt", "09199": "Xã Tam Đa"}
    assert vietnamese_message(message, names) == expected
