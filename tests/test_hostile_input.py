"""Hostile and broken input, all in one run beside a good file: each bad file is rejected with a
clear finding and archived, without effect on raw or on the good file; text that only looks
dangerous is stored verbatim and harmlessly."""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ingest import pipeline
from ingest.store import statements as store
from ingest.store.db import migrate_all

MONTH = date(2023, 5, 1)


@pytest.fixture(scope="module")
def good_dirs(tmp_path_factory) -> list[Path]:
    """Clean CSV-folder submissions of Bắc Ninh, 2023-05 (machine-key headers, easy to edit): the
    six districts with xã, 258 259 260 262 263 264 (the cities 256 and 261 have wards only)."""
    from ingest.devtools.generate import generate

    return sorted(generate("27", [MONTH], tmp_path_factory.mktemp("csv"), seed=5, fmt="csv"))


def edit_csv(src: Path, dest: Path, sheet: str, change: Callable[[list[list[str]]], None]) -> Path:
    import csv

    shutil.copytree(src, dest)
    path = dest / f"{sheet}.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    change(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return dest


def set_cell(sheet_rows: list[list[str]], row: int, column: str, value: str) -> None:
    sheet_rows[row][sheet_rows[0].index(column)] = value


def zip_of(folder: Path, dest: Path, extra: dict[str, bytes] | None = None,
           symlink: str | None = None) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return dest


def long_cell_workbook(tmp: Path) -> Path:
    """A real workbook with a 30,000-character name (Excel allows 32,767 per cell)."""
    import openpyxl

    from ingest.devtools.generate import generate

    src = generate("27", [MONTH], tmp / "xlsx", seed=5)[3]
    wb = openpyxl.load_workbook(src)
    ws = wb["tieu_chi_xa"]
    for row in ws.iter_rows():
        if row[0].value and str(row[0].value).isdigit():
            row[1].value = "y" * 30_000
            break
    dest = tmp / "long_cell.xlsx"
    wb.save(dest)
    return dest


@pytest.fixture(scope="module")
def run(good_dirs, tmp_path_factory, module_database_url):
    """Ingest every hostile case plus one good file in a single call; return outcomes by case."""
    import os

    tmp = tmp_path_factory.mktemp("hostile")
    base = good_dirs[0]       # 258, which has support rows (ho_tro)
    cases: dict[str, Path] = {}

    def case(name: str, path: Path) -> None:
        cases[name] = path

    (tmp / "not_a_workbook.xlsx").write_text("<html>not a workbook</html>")
    case("not_a_workbook", tmp / "not_a_workbook.xlsx")
    good_zip = zip_of(good_dirs[1], tmp / "good.zip")
    (tmp / "truncated.zip").write_bytes(good_zip.read_bytes()[: good_zip.stat().st_size // 2])
    case("truncated", tmp / "truncated.zip")
    (tmp / "protected.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    case("password_protected", tmp / "protected.xlsx")
    case("zip_bomb", zip_of(base, tmp / "bomb.zip", extra={"padding.csv": b"0" * 60_000_000}))
    case("zip_traversal", zip_of(base, tmp / "traversal.zip", extra={"../../etc/evil.csv": b"x"}))
    case("zip_symlink", zip_of(base, tmp / "symlink.zip", symlink="link.csv"))
    case("million_rows", edit_csv(base, tmp / "million", "ho_tro", lambda rows: rows.extend(
        [["09163", "Sở Nông nghiệp", "hỗ trợ", "1"]] * 1_000_000)))
    case("megabyte_cell", edit_csv(base, tmp / "megacell", "tieu_chi_xa",
                                   lambda rows: set_cell(rows, 1, "commune_name", "x" * 3_000_000)))
    case("formula_amount", edit_csv(base, tmp / "formula", "nguon_von",
                                    lambda rows: set_cell(rows, 1, "amount_mvnd", "=SUM(A1:A9)")))
    case("nan_amount", edit_csv(base, tmp / "nan", "nguon_von", lambda rows: set_cell(rows, 1, "amount_mvnd", "NaN")))
    case("inf_amount", edit_csv(base, tmp / "inf", "nguon_von", lambda rows: set_cell(rows, 1, "amount_mvnd", "inf")))
    case("exponent_amount", edit_csv(base, tmp / "exp", "nguon_von",
                                     lambda rows: set_cell(rows, 1, "amount_mvnd", "1e308")))
    case("period_0000_00", edit_csv(base, tmp / "p0000", "thong_tin",
                                    lambda rows: set_cell(rows, [r[0] for r in rows].index("period"), "value", "0000-00")))
    case("long_cell_xlsx", long_cell_workbook(tmp))
    good = good_dirs[2]       # another district than the rejected ones
    case("good", good)
    url = module_database_url
    os.environ["NTM_STATE_DIR"] = str(tmp / "state")
    try:
        migrate_all(url)
        outs = pipeline.ingest_paths([str(p) for p in cases.values()], url, build_docs=False)
    finally:
        os.environ.pop("NTM_STATE_DIR", None)
    return url, cases, dict(zip(cases, outs, strict=True))


EXPECTED = {
    "not_a_workbook": ("file_unreadable", None, None),
    "truncated": ("file_unreadable", None, None),
    "password_protected": ("file_unreadable", None, None),
    "zip_bomb": ("zip_bomb", None, None),
    "zip_traversal": ("unsafe_zip_entry", None, None),
    "zip_symlink": ("unsafe_zip_entry", None, None),
    "million_rows": ("too_many_rows", "ho_tro", None),
    "megabyte_cell": ("cell_too_long", "tieu_chi_xa", None),
    "long_cell_xlsx": ("cell_too_long", "tieu_chi_xa", None),
    "formula_amount": ("bad_number", "nguon_von", "amount_mvnd"),
    "nan_amount": ("bad_number", "nguon_von", "amount_mvnd"),
    "inf_amount": ("bad_number", "nguon_von", "amount_mvnd"),
    "exponent_amount": ("bad_number", "nguon_von", "amount_mvnd"),
    "period_0000_00": ("bad_period", "thong_tin", "period"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_rejected_with_a_clear_finding_and_archived(run, name):
    url, cases, outs = run
    out = outs[name]
    check, sheet, column = EXPECTED[name]
    assert out.status == "rejected", (name, out.findings)
    errors = [f for f in out.findings if f["severity"] == "error"]
    match = [f for f in errors if f["check_name"] == check]
    assert match, f"{name}: expected {check}, got {[f['check_name'] for f in errors]}"
    if sheet:
        assert match[0]["sheet"] == sheet
    if column:
        assert match[0]["column_name"] == column
    assert match[0]["message_en"] and match[0]["message_vi"]
    with psycopg.connect(url) as conn:
        path, sha = conn.execute("SELECT archive_path, sha256 FROM audit.submission WHERE submission_id = %s",
                                 (out.submission_id,)).fetchone()
        loaded = conn.execute("SELECT count(*) FROM raw.thong_tin WHERE submission_id = %s",
                              (out.submission_id,)).fetchone()[0]
    assert Path(path).exists() and hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    assert loaded == 0


def test_good_file_in_the_same_run_is_loaded_alone(run):
    url, _cases, outs = run
    assert outs["good"].status == "accepted"
    with psycopg.connect(url) as conn:
        in_raw = {r[0] for r in conn.execute("SELECT DISTINCT submission_id FROM raw.tieu_chi_xa")}
    assert in_raw == {outs["good"].submission_id}


def test_zip_entries_are_never_extracted_outside(run, tmp_path):
    assert not Path("/etc/evil.csv").exists()


# --- text that only looks dangerous: normalised or stored verbatim, never executed -----------


@pytest.fixture
def url(fresh_database_url, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    migrate_all(fresh_database_url)
    return fresh_database_url


def test_sql_and_formula_looking_text_is_stored_verbatim(url, good_dirs, tmp_path):
    evil = "Robert'); DROP TABLE raw.ocop; --"
    formula = '=HYPERLINK("http://evil.example","click")'

    def change(rows):
        set_cell(rows, 1, "commune_name", evil)
        set_cell(rows, 2, "commune_name", formula)
        set_cell(rows, 3, "commune_name", "@SUM(1+1)")

    sub = edit_csv(good_dirs[0], tmp_path / "evil", "tieu_chi_xa", change)
    [out] = pipeline.ingest_paths([str(sub)], url, build_docs=False)
    assert out.status == "accepted", out.findings
    with psycopg.connect(url) as conn:
        names = {r[0] for r in conn.execute("SELECT commune_name FROM raw.tieu_chi_xa")}
        assert conn.execute("SELECT to_regclass('raw.ocop')").fetchone()[0] == "raw.ocop"
    assert {evil, formula, "@SUM(1+1)"} <= names


def test_control_characters_bidi_marks_spaces_and_fullwidth_digits_are_normalised(url, good_dirs, tmp_path):
    def change(rows):
        set_cell(rows, 1, "commune_name", "Ph\u202eường\u0007 Vũ\u200f  Ninh")
        code = rows[2][0]
        set_cell(rows, 2, "commune_code", " " + code.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " ")

    sub = edit_csv(good_dirs[0], tmp_path / "ctl", "tieu_chi_xa", change)
    [out] = pipeline.ingest_paths([str(sub)], url, build_docs=False)
    assert out.status == "accepted", out.findings
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT commune_code, commune_name FROM raw.tieu_chi_xa ORDER BY excel_row").fetchall()
    assert rows[0][1] == "Phường Vũ Ninh"
    assert rows[1][0].isascii() and len(rows[1][0]) == 5


def test_raw_tables_unchanged_by_rejections(run):
    url, _cases, outs = run
    with psycopg.connect(url) as conn:
        per_table = {t: conn.execute(sql.SQL("SELECT count(DISTINCT submission_id) FROM {}").format(
            sql.Identifier("raw", t))).fetchone()[0] for t in store.RAW_COLUMNS}
    assert set(per_table.values()) <= {0, 1}
