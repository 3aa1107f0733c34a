"""Hostile and broken input, all in one run beside a good file: each bad file is rejected with a
clear finding and archived, without effect on raw or on the good file; text that only looks
dangerous is stored verbatim and harmlessly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ingest import pipeline
from ingest.store import statements as store
from tests.fixtures.hostile import edit_csv, set_cell

EXPECTED = {
    "not_a_workbook": ("file_unreadable", None, None),
    "truncated": ("file_unreadable", None, None),
    "password_protected": ("file_unreadable", None, None),
    "zip_bomb": ("zip_bomb", None, None),
    "zip_traversal": ("unsafe_zip_entry", None, None),
    "zip_symlink": ("unsafe_file", None, None),
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
