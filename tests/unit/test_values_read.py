"""Values a reader could read silently wrong (issue 14, class 3), read without a database: each
case gives its finding with sheet, row and column, and what was read under an assumption is what
the warning says."""

from __future__ import annotations

import pytest

from ingest.intake import assumed, names
from ingest.intake import normalise as nz
from ingest.intake.collect import Collector
from ingest.intake.reader import read_submission
from tests.fixtures.values import TCVN3_NAME, VALUE_CASES, VNI_NAME


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_each_case_gives_its_finding_with_its_cell(value_cases, admin, name):
    status, check, severity, sheet, row, column = VALUE_CASES[name]
    result = read_submission(value_cases[name], admin)
    found = [f for f in result.findings if f.check_name == check and f.severity == severity]
    assert found, (name, [(f.check_name, f.message_en) for f in result.findings])
    assert found[0].sheet == sheet and found[0].message_vi and found[0].message_en
    if row is not None:
        assert found[0].excel_row == row
    if column is not None:
        assert found[0].column_name == column
    assert result.rejected == (status == "rejected"), [f for f in result.findings if f.severity == "error"]


def test_error_findings_carry_the_error_text_and_formula(value_cases, admin):
    by_case = {n: read_submission(value_cases[n], admin).findings for n in ("error_ref_count", "formula_amount")}
    assert [f.value for f in by_case["error_ref_count"] if f.check_name == "excel_error_value"] == ["#REF!"]
    assert [f.value for f in by_case["formula_amount"] if f.check_name == "formula_without_value"] == ["=SUM(D4:D9)"]


def test_good_workbook_has_none_of_these_findings(value_cases, admin):
    result = read_submission(value_cases["good"], admin)
    new = {"excel_error_value", "formula_without_value", "hidden_sheet", "assumed_mark", "ambiguous_number_style",
           "name_mismatch"}
    assert not {f.check_name for f in result.findings} & new
    assert not result.rejected


def test_tick_symbols_are_read_as_met_with_a_warning_per_cell(value_cases, admin):
    result = read_submission(value_cases["hidden_von_ticks"], admin)
    warned = sorted((f.column_name, f.value) for f in result.findings if f.check_name == "assumed_mark")
    assert warned == [("tc01", "√"), ("tc02", "●")]  # ✓ with a variation selector is a listed mark
    marks = result.frames["tieu_chi_xa_mark"]
    first = marks[marks["excel_row"] == 2].set_index("criterion_code")["is_met"]
    assert first["tc01"] and first["tc02"] and first["tc03"]


def test_number_style_follows_the_column(value_cases, admin):
    english = read_submission(value_cases["english_numbers"], admin).frames["nguon_von"]["amount_mvnd"].tolist()
    assert english[:4] == [1234567.0, 1234.5, 2500.0, 12.75]
    mixed = read_submission(value_cases["mixed_numbers_vni"], admin).frames["nguon_von"]["amount_mvnd"].tolist()
    assert mixed[:4] == [1234567.0, 1234.5, 2.5, 1234.5]  # Vietnamese style wins 2:1, said in a warning


@pytest.mark.parametrize(("values", "expected", "warned"), [
    (["2,500", "8,65"], [2.5, 8.65], False),                       # Vietnamese only: the default, silent
    (["2.500", "1.234.567"], [2500.0, 1234567.0], False),
    (["2,500", "1,234,567"], [2500.0, 1234567.0], True),           # English: ambiguous read as thousands
    (["2.500", "0.75"], [2.5, 0.75], True),
    (["1,234.5", "1.234,5"], [1234.5, 1234.5], True),              # a tie: Vietnamese, said
    (["2,500", 3.0, None], [2.5, 3.0, None], False),
])
def test_column_number_style(values, expected, warned):
    f = Collector()
    normalise = assumed.column_normaliser("nguon_von", "amount_mvnd", nz.number, values, list(range(2, 2 + len(values))), f)
    assert [normalise(v) for v in values] == expected
    assert bool(f.items) == warned and all(x.check_name == "ambiguous_number_style" for x in f.items)


@pytest.mark.parametrize(("symbol", "outcome"), [
    ("✓", True), ("✔\ufe0f", True), ("x", True), ("√", "assumed"), ("✅", "assumed"), ("•", "assumed"),
    ("✗", "error"), ("❌", "error"), ("☒", "error"), ("?", "error"),
])
def test_mark_symbols(symbol, outcome):
    if outcome is True:
        assert assumed.mark(symbol) is True
    elif outcome == "assumed":
        with pytest.raises(assumed.Assumed) as exc:
            assumed.mark(symbol)
        assert exc.value.value is True and exc.value.check == "assumed_mark"
    else:
        with pytest.raises(nz.NormaliseError):
            assumed.mark(symbol)


def test_legacy_names_get_a_hint_and_plain_wrong_names_do_not(value_cases, admin):
    tcvn3 = read_submission(value_cases["very_hidden_ocop_tcvn3"], admin).findings
    vni = read_submission(value_cases["mixed_numbers_vni"], admin).findings
    for findings, text in ((tcvn3, TCVN3_NAME), (vni, VNI_NAME)):
        [warning] = [f for f in findings if f.check_name == "name_mismatch"]
        assert warning.value == nz.clean_text(text) and warning.column_name == "commune_name" and warning.severity == "warning"
        assert "TCVN3" in warning.message_en and "TCVN3" in warning.message_vi and "'Xã " in warning.message_en
    assert names.looks_legacy(TCVN3_NAME) and names.looks_legacy(VNI_NAME)
    assert not any(names.looks_legacy(n) for n in ("Xã Hoài Thượng", "Xa Hoai Thuong", "Thị trấn Chờ", "Tân An"))


@pytest.mark.parametrize(("cell", "expected"), [
    ('<c r="C2" t="str"><f>IF(V2&gt;=19,"Đ","")</f><v></v></c>', set()),        # cached empty text: a value
    ('<c r="C2" t="str"><f>IF(V2&gt;=19,"Đ","CĐ")</f><v>Đ</v></c>', set()),     # cached text
    ('<c r="C2"><f t="shared" ref="C2:C3" si="0">IF(V2&gt;=19,"Đ","CĐ")</f></c>', {"formula_without_value"}),
    ('<c r="C2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>', {"excel_error_value"}),
    ('<c r="C2" t="e"><v>#NAME?</v></c>', {"excel_error_value"}),
])
def test_cells_as_excel_writes_them(value_workbooks, admin, tmp_path, cell, expected):
    from tests.fixtures.values import with_cell_xml

    path = with_cell_xml(value_workbooks["264"], tmp_path / "x.xlsx", "xl/worksheets/sheet2.xml", "C2", cell)
    found = {f.check_name for f in read_submission(path, admin).findings}
    assert found & {"formula_without_value", "excel_error_value"} == expected


def test_plain_wrong_name_warns_without_the_encoding_hint(value_workbooks, admin, tmp_path):
    from tests.fixtures.values import edit_workbook

    def change(wb):
        wb["tieu_chi_xa"]["B2"].value = "Xã Không Có Thật"
        wb["tieu_chi_xa"]["B3"].value = "xa  " + wb["tieu_chi_xa"]["B3"].value[3:].upper()  # same name: silent

    result = read_submission(edit_workbook(value_workbooks["264"], tmp_path / "n.xlsx", change), admin)
    [warning] = [f for f in result.findings if f.check_name == "name_mismatch"]
    assert warning.excel_row == 2 and "TCVN3" not in warning.message_en and not result.rejected


@pytest.mark.parametrize(("state", "ref", "error"), [("hidden", "B5", "#REF!"), ("veryHidden", "B3", "#NAME?")])
def test_hidden_thong_tin_and_its_error_cells(value_workbooks, admin, tmp_path, state, ref, error):
    from tests.fixtures.values import edit_workbook

    def change(wb):
        wb["thong_tin"].sheet_state = state
        wb["thong_tin"][ref].value = error
        wb["thong_tin"][ref].data_type = "e"

    result = read_submission(edit_workbook(value_workbooks["264"], tmp_path / "t.xlsx", change), admin)
    hidden = [f for f in result.findings if f.check_name == "hidden_sheet"]
    assert [(f.sheet, f.severity) for f in hidden] == [("thong_tin", "warning")]
    [cell] = [f for f in result.findings if f.check_name == "excel_error_value"]
    assert (cell.sheet, cell.excel_row, cell.column_name, cell.value) == ("thong_tin", int(ref[1:]), "B", error)
    assert result.rejected
