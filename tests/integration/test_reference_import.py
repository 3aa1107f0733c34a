"""`ntm reference import-units`: official unit lists of earlier years, on a real PostgreSQL.

The example file (docs/examples/admin_units_2017_example.csv) describes Văn Lãng (182, Lạng
Sơn): four historical xã that ended 2019-12-31 (06130 Tân Lang, 06145 Thanh Sơn, 06148 Tân Hòa,
06169 Hữu Khánh), the district and three units still in force on 2025-06-30 (06124, 06127,
06172) whose validity starts 2004-01-01. 06148 is a code reused: from 2020-01-01 it names the
built-in Xã Thanh Long.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest import pipeline
from ingest.cli.main import main
from ingest.intake.unit_list import UnitListError, parse_unit_list
from ingest.store.db import migrate_all
from ingest.store.reference import import_units, load_admin_units, load_reference_table

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "admin_units_2017_example.csv"
SENTINEL = date(1900, 1, 1)
IN_2017, IN_2023 = date(2017, 5, 31), date(2023, 5, 31)
TABLE = "SELECT * FROM ref.admin_unit ORDER BY unit_code, unit_level, valid_from"
HEADER = "Mã,Tên,Loại,Mã cấp trên,Hiệu lực từ,Hiệu lực đến\n"


def rows(url: str, query: str = TABLE, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def write(tmp_path: Path, text: str, name: str = "units.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def overlaps(url: str) -> list[tuple]:
    return rows(url, """
        SELECT a.unit_code, a.valid_from, b.valid_from FROM ref.admin_unit a JOIN ref.admin_unit b
          ON a.unit_code = b.unit_code AND a.unit_level = b.unit_level AND a.valid_from < b.valid_from
         WHERE coalesce(a.valid_to, 'infinity') >= b.valid_from""")


# ---------------------------------------------------------------------------------------------
# reading the file


def test_vietnamese_and_machine_headers_bom_and_both_date_forms_read_the_same(tmp_path: Path) -> None:
    vietnamese = write(tmp_path, "\ufeffMã;Tên;Cấp;Mã cấp trên;Hiệu lực từ;Hiệu lực đến;Ghi chú\n"
                                 "06130;Tân Lang;xã;182;01/01/2004;31/12/2019;ví dụ\n"
                                 "\n"
                                 "182;Huyện Văn Lãng;Huyện;20;1/1/2004;;\n", "vi.csv")
    machine = write(tmp_path, "valid_to,valid_from,parent_code,type,name,code\n"
                              "2019-12-31,2004-01-01,182,Xã,Xã Tân Lang,06130\n"
                              ",2004-01-01,20,huyen,Huyện Văn Lãng,182\n", "en.csv")
    a, b = parse_unit_list(vietnamese), parse_unit_list(machine)
    assert a.ignored_columns == ["Ghi chú"] and b.ignored_columns == []

    def content(parsed):
        return [(r.code, r.level, r.name, r.unit_type, r.parent_code, r.valid_from, r.valid_to) for r in parsed.rows]

    assert content(a) == content(b) == [
        ("06130", "commune", "Xã Tân Lang", "Xã", "182", date(2004, 1, 1), date(2019, 12, 31)),
        ("182", "district", "Huyện Văn Lãng", "Huyện", "20", date(2004, 1, 1), None)]
    assert [r.source_line for r in a.rows] == [2, 4]  # the blank line 3 is skipped, lines still count


def test_bad_rows_are_named_by_line_column_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + "06130,Xã Tân Lang,Xã,182,31/02/2017,\n"        # 2: no such day
                 + "6133,Xã Bắc La,Xã,182,01/01/2004,\n"           # 3: leading zero lost
                 + "06136,Xã Thụy Hùng,Huyện,182,01/01/2004,\n"     # 4: a commune is not a huyện
                 + "06139,Xã Bắc Hùng,Xã,20,01/01/2004,\n"          # 5: a commune's parent is a district
                 + "06142,Xã Tân Tác,Xã,182,2020-01-01,2019-12-31\n"  # 6: ends before it starts
                 + "06151,,Làng,182,2025-07-01,\n"                 # 7: no name, unknown type, after the reform
                 + "06130,Xã Tân Lang,Xã,182,01/01/2004,31/12/2019\n"
                 + "06130,Xã Tân Lang,Xã,182,01/01/2004,31/12/2019\n")  # 9: twice
    with pytest.raises(UnitListError) as caught:
        parse_unit_list(path)
    found = {(p.line, p.column, p.value) for p in caught.value.problems}
    assert found == {
        (2, "Hiệu lực từ", "31/02/2017"), (3, "Mã", "6133"), (4, "Loại", "Huyện"), (5, "Mã cấp trên", "20"),
        (6, "Hiệu lực đến", "2019-12-31"), (7, "Tên", ""), (7, "Loại", "Làng"), (7, "Hiệu lực từ", "2025-07-01"),
        (9, "Hiệu lực từ", "01/01/2004")}
    text = {p.line: str(p) for p in caught.value.problems}
    assert text[3].startswith("line 3, column Mã, value '6133': ") and "leading zero" in text[3]
    assert "line 7" in text[7] and "already on line 8" in text[9]


def test_a_file_without_a_needed_column_or_not_utf8_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnitListError) as caught:
        parse_unit_list(write(tmp_path, "Mã,Tên,Loại,Hiệu lực từ\n06130,Xã Tân Lang,Xã,01/01/2004\n"))
    assert {(p.line, p.message.split(":")[0]) for p in caught.value.problems} == {
        (1, "no column for parent_code"), (1, "no column for valid_to")}
    latin = tmp_path / "latin.csv"  # saved from a spreadsheet in a legacy code page
    latin.write_bytes(HEADER.encode() + "06130,Xã Tân Lang,Xã,182,01/01/2004,31/12/2019\n".encode("latin-1"))
    with pytest.raises(UnitListError) as caught:
        parse_unit_list(latin)
    [problem] = caught.value.problems
    assert problem.line == 2 and "UTF-8" in problem.message


# ---------------------------------------------------------------------------------------------
# importing


def test_import_makes_a_historical_xa_known_for_its_years_only(url: str) -> None:
    before = load_admin_units(url)
    assert before is load_admin_units()  # nothing imported: the package's lists themselves
    assert before.unit("06130", IN_2017) is None

    summary = import_units(url, EXAMPLE)
    assert summary.imported == {"district": 1, "commune": 7} and summary.rows == 8
    assert summary.historical == {"commune": 4}
    assert summary.starts_set == {"district": 1, "commune": 4} and summary.starts_set_total == 5
    assert summary.ignored_columns == ["Ghi chú"] and not summary.unchanged

    admin = load_admin_units(url)
    assert admin is load_admin_units(url)  # cached until the imports change
    tan_lang = admin.unit("06130", IN_2017)
    assert (tan_lang.name, tan_lang.parent_code, tan_lang.province_code, tan_lang.list_name, tan_lang.is_xa) == (
        "Xã Tân Lang", "182", "20", "imported", True)
    assert admin.unit("06130", IN_2023) is None
    # 06148, a code reused: Tân Hòa until 2019, the built-in Thanh Long from 2020
    assert admin.unit("06148", IN_2017).name == "Xã Tân Hòa"
    assert admin.unit("06148", IN_2023).name == "Xã Thanh Long"
    in_2017 = {u.code for u in admin.communes_of("182", IN_2017)}
    in_2023 = {u.code for u in admin.communes_of("182", IN_2023)}
    assert {"06130", "06145", "06148", "06169"} <= in_2017 and len(in_2017) == 20
    assert in_2023 == {u.code for u in load_admin_units().communes_of("182", IN_2023)} and len(in_2023) == 17
    assert [u.code for u in admin.find_commune_by_name("Tân Lang", "182", IN_2017)] == ["06130"]

    assert rows(url, "SELECT unit_code, unit_name, valid_from, valid_to, list_name FROM ref.admin_unit"
                     " WHERE unit_code IN ('06127', '06130', '06148', '182', '06133') ORDER BY 1, 3") == [
        ("06127", "Xã Trùng Khánh", date(2004, 1, 1), date(2025, 6, 30), "legacy"),  # start set
        ("06130", "Xã Tân Lang", date(2004, 1, 1), date(2019, 12, 31), "imported"),
        ("06133", "Xã Bắc La", SENTINEL, date(2025, 6, 30), "legacy"),  # not in the file: unchanged
        ("06148", "Xã Tân Hòa", date(2004, 1, 1), date(2019, 12, 31), "imported"),
        ("06148", "Xã Thanh Long", date(2020, 1, 1), date(2025, 6, 30), "legacy"),  # after the reused code
        ("06148", "Xã Thụy Hùng", date(2025, 7, 1), None, "2025"),  # and a third unit after the reform
        ("182", "Huyện Văn Lãng", date(2004, 1, 1), date(2025, 6, 30), "legacy")]
    assert rows(url, "SELECT list_name, unit_level, count(*) FROM ref.admin_unit GROUP BY 1, 2 ORDER BY 1, 2") == [
        ("2025", "commune", 3321), ("2025", "province", 34), ("imported", "commune", 4),
        ("legacy", "commune", 10035), ("legacy", "district", 696), ("legacy", "province", 63)]
    assert overlaps(url) == []
    assert rows(url, "SELECT count(*) FROM ref.admin_unit_import")[0][0] == 8


def test_reimport_is_idempotent_and_migrate_keeps_the_imports(url: str) -> None:
    import_units(url, EXAMPLE)
    first = rows(url)
    stamp = rows(url, "SELECT max(imported_at) FROM ref.admin_unit_import")
    admin = load_admin_units(url)

    again = import_units(url, EXAMPLE)
    assert again.unchanged and rows(url) == first
    assert rows(url, "SELECT max(imported_at) FROM ref.admin_unit_import") == stamp
    assert load_admin_units(url) is admin

    # the package's lists are reloaded (as `ntm db migrate` does after a package upgrade):
    # imported rows and the validity starts they set survive
    load_reference_table(url)
    assert rows(url) == first
    with psycopg.connect(url) as conn:
        conn.execute("COMMENT ON TABLE ref.admin_unit IS 'built from an older package'")
    assert any(a.startswith("ref.admin_unit") for a in migrate_all(url))
    assert rows(url) == first
    assert migrate_all(url) == []  # up to date: not reloaded again
    assert main(["db", "migrate", "--database-url", url]) == 0
    assert rows(url) == first


def test_a_row_that_breaks_a_rule_imports_nothing(url: str, tmp_path: Path) -> None:
    import_units(url, EXAMPLE)
    table, imported = rows(url), rows(url, "SELECT * FROM ref.admin_unit_import ORDER BY 1, 2, 3")
    path = write(tmp_path, HEADER
                 + "06133,Xã Bắc La,Xã,182,01/01/2010,\n"                      # 2: fine on its own
                 + "06131,Xã Tân Việt,Xã,182,01/01/2004,\n"                   # 3: "still in force", not built in
                 + "06130,Xã Tân Lang,Xã,182,01/06/2019,30/06/2021\n"          # 4: overlaps the example's 06130
                 + "06134,Xã Na Hình,Xã,999,01/01/2004,31/12/2010\n"           # 5: no district 999
                 + "06137,Xã Hoàng Đồng,Xã,182,01/01/1990,31/12/2000\n"        # 6: 182 starts 2004 (example)
                 + "06127,Xã Trùng Khánh,Xã,182,01/01/2010,31/12/2019\n")      # 7: overlaps the start set by the example
    with pytest.raises(UnitListError) as caught:
        import_units(url, path)
    found = {(p.line, p.column, p.value) for p in caught.value.problems}
    assert found == {(3, "Hiệu lực đến", ""), (4, "Hiệu lực từ", "2019-06-01"), (5, "Mã cấp trên", "999"),
                     (6, "Mã cấp trên", "182"), (7, "Hiệu lực từ", "2010-01-01")}, caught.value.problems
    message = {p.line: p.message for p in caught.value.problems}
    assert "2025-06-30" in message[3] and "give the last day" in message[3]
    assert "admin_units_2017_example.csv line 5" in message[4] and "--replace" in message[4]
    assert rows(url) == table
    assert rows(url, "SELECT * FROM ref.admin_unit_import ORDER BY 1, 2, 3") == imported


def test_replace_drops_earlier_imports(url: str, tmp_path: Path) -> None:
    import_units(url, EXAMPLE)
    path = write(tmp_path, HEADER + "06130,Xã Tân Lang,Xã,182,01/06/2015,30/06/2021\n", "fixed.csv")
    summary = import_units(url, path, replace_earlier=True)
    assert summary.replaced and summary.imported_total == 1 and summary.starts_set_total == 0
    admin = load_admin_units(url)
    assert admin.unit("06130", date(2021, 6, 30)).name == "Xã Tân Lang"
    assert admin.unit("06130", IN_2017).list_name == "imported"
    assert admin.unit("06148", IN_2017) is not None and admin.unit("06148", IN_2017).name == "Xã Thanh Long"
    assert rows(url, "SELECT count(*) FROM ref.admin_unit WHERE list_name = 'legacy' AND valid_from <> %s",
                (SENTINEL,)) == [(0,)]


def test_a_renamed_unit_still_in_force_is_reported(url: str, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "06127,Xã Trùng Khánh Cũ,Xã,182,01/01/2004,\n")
    summary = import_units(url, path)
    assert summary.differs_from_snapshot == [{"line": 2, "code": "06127", "imported": "Xã Trùng Khánh Cũ (Xã)",
                                              "built_in": "Xã Trùng Khánh (Xã)"}]
    assert load_admin_units(url).unit("06127", IN_2017).name == "Xã Trùng Khánh"


# ---------------------------------------------------------------------------------------------
# the command


def test_cli_imports_prints_a_summary_and_json(url: str, capsys) -> None:
    assert main(["reference", "import-units", str(EXAMPLE), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "8 unit(s) imported (district 1, commune 7)" in out
    assert "historical units of their own (ended before 2025-06-30): commune 4" in out
    assert "validity start this file set: district 1, commune 4" in out and " s\n" in out
    assert main(["reference", "import-units", str(EXAMPLE), "--database-url", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unchanged"] is True and data["imported"] == {"district": 1, "commune": 7}
    assert isinstance(data["seconds"], float)


def test_cli_rejects_a_bad_file_with_exit_1_and_a_missing_file_with_2(url: str, tmp_path: Path, capsys) -> None:
    bad = write(tmp_path, HEADER + "06130,Xã Tân Lang,Xã,182,2017-13-01,\n")
    assert main(["reference", "import-units", str(bad), "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "1 error(s); nothing imported" in err
    assert "line 2, column Hiệu lực từ, value '2017-13-01': not a date" in err
    assert main(["reference", "import-units", str(bad), "--database-url", url, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["imported"] is False
    assert data["errors"] == [{"line": 2, "column": "Hiệu lực từ", "value": "2017-13-01",
                               "message": "not a date: write YYYY-MM-DD or DD/MM/YYYY"}]
    assert main(["reference", "import-units", str(tmp_path / "none.csv"), "--database-url", url]) == 2
    assert rows(url, "SELECT count(*) FROM ref.admin_unit_import") == [(0,)]


def test_help_describes_the_format(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["reference", "import-units", "--help"])
    out = capsys.readouterr().out
    for text in ("Mã / code", "Mã cấp trên / parent_code", "Hiệu lực từ / valid_from", "DD/MM/YYYY",
                 "empty = still in force", "admin_units_2017_example.csv"):
        assert text in out


# ---------------------------------------------------------------------------------------------
# end to end: a 2017 submission naming a xã merged away in 2019


def _submission_naming_tan_lang(out: Path, version: int) -> Path:
    from ingest.devtools.generate import build_submission, render

    admin = load_admin_units()
    district = admin.unit("182", IN_2017)
    sub = build_submission(admin, district, date(2017, 5, 1), seed=3, version=version)
    communes = sub.tables["tieu_chi_xa"].rows
    communes.append({**communes[1], "commune_code": "06130", "commune_name": "Xã Tân Lang"})
    return render(sub, out, seed=3, fmt="xlsx")


def test_a_2017_submission_naming_a_merged_xa_loads_once_its_list_is_imported(url: str, tmp_path: Path) -> None:
    first = _submission_naming_tan_lang(tmp_path / "v1", 1)
    [out] = pipeline.ingest_paths([str(first)], url, build_docs=False)
    assert out.status == "rejected"
    errors = [f for f in out.findings if f["severity"] == "error"]
    assert {(f["check_name"], f["value"]) for f in errors} == {("unknown_commune", "06130")}, errors
    [error] = errors
    assert "not in the administrative list in force on 2017-05-31" in error["message_en"]
    assert "ntm reference import-units FILE" in error["message_en"]
    assert "ntm reference import-units" in error["message_vi"] and "31/05/2017" in error["message_vi"]

    assert main(["reference", "import-units", str(EXAMPLE), "--database-url", url]) == 0
    second = _submission_naming_tan_lang(tmp_path / "v2", 2)
    [out] = pipeline.ingest_paths([str(second)], url, build_docs=False)
    assert out.status == "accepted", [f for f in out.findings if f["severity"] == "error"]
    assert rows(url, "SELECT count(*) FROM raw.tieu_chi_xa WHERE submission_id = %s AND commune_code = '06130'",
                (out.submission_id,)) == [(1,)]
    # the snapshot xã of 2020 is not expected in 2017, its predecessors are (warning only)
    missing = [f for f in out.findings if f["check_name"] == "missing_communes"]
    assert missing and "06145" in missing[0]["value"] and "06169" in missing[0]["value"]
