"""The generated corpus through the real reader: every messy file reads to exactly the rows of its
clean twin, and every reader-level bad variant yields the finding it is named after."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

reader = pytest.importorskip("ingest.intake.reader")

from ingest.devtools.generate import generate  # noqa: E402
from ingest.findings import has_errors  # noqa: E402
from ingest.intake.rules import rural_communes  # noqa: E402
from ingest.store.reference import load_admin_units  # noqa: E402
from tests.fixtures.corpus import VALIDATION_CHECKS  # noqa: E402

# (province, month): a legacy district month with OCOP products, a December (district criteria),
# and a 2025 province month.
CASES = [("38", date(2023, 5, 1)), ("27", date(2024, 12, 1)), ("27", date(2025, 8, 1))]

# Bad variants that the reader itself must catch (the others are Great Expectations checks).
READER_CHECKS = {"file_unreadable", "missing_sheet", "missing_column", "bad_number", "bad_mark",
                 "bad_date", "bad_period", "unknown_unit", "province_mismatch", "unknown_commune",
                 "duplicate_commune", "unsafe_zip_entry", "zip_too_many_entries"}


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame without the Excel row numbers (title rows shift them), in a stable order."""
    frame = frame.drop(columns=[c for c in ("excel_row",) if c in frame.columns])
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = list(frame.columns)
    ordered = frame.astype(str).sort_values(keys).index
    return frame.loc[ordered].reset_index(drop=True)


def _pairs(tmp_path: Path, province: str, month: date, limit: int = 4) -> list[tuple[Path, Path]]:
    clean = generate(province, [month], tmp_path / "clean", seed=21)[:limit]
    messy = generate(province, [month], tmp_path / "messy", seed=21, messy=True)[:limit]
    assert [p.name for p in clean] == [p.name for p in messy]
    return list(zip(clean, messy, strict=True))


@pytest.mark.parametrize("province, month", CASES)
def test_messy_reads_like_its_clean_twin(tmp_path: Path, province: str, month: date) -> None:
    admin = load_admin_units()
    for clean_path, messy_path in _pairs(tmp_path, province, month):
        clean = reader.read_submission(clean_path, admin)
        messy = reader.read_submission(messy_path, admin)
        assert not has_errors(clean.findings), (clean_path.name, clean.findings)
        assert not has_errors(messy.findings), (messy_path.name, messy.findings)
        assert set(clean.frames) == set(messy.frames)
        for name, frame in clean.frames.items():
            pd.testing.assert_frame_equal(_comparable(frame), _comparable(messy.frames[name]),
                                          check_dtype=True, obj=f"{messy_path.name}:{name}")


@pytest.mark.parametrize("fmt", ["zip", "csv"])
def test_csv_forms_read_like_the_workbook(tmp_path: Path, fmt: str) -> None:
    admin = load_admin_units()
    [xlsx] = generate("38", [date(2023, 5, 1)], tmp_path / "x", seed=21)[:1]
    [other] = generate("38", [date(2023, 5, 1)], tmp_path / fmt, seed=21, fmt=fmt)[:1]
    a, b = reader.read_submission(xlsx, admin), reader.read_submission(other, admin)
    assert not has_errors(b.findings), b.findings
    for name, frame in a.frames.items():
        pd.testing.assert_frame_equal(_comparable(frame), _comparable(b.frames[name]), obj=name)


def test_clean_frames_match_the_generated_content(tmp_path: Path) -> None:
    admin = load_admin_units()
    [path] = [p for p in generate("38", [date(2023, 5, 1)], tmp_path, seed=21) if "_395_" in p.name]
    frames = reader.read_submission(path, admin).frames
    info = frames["thong_tin"].iloc[0]
    assert (info["province_code"], info["submitting_unit_code"], info["period"]) == ("38", "395", date(2023, 5, 1))
    xa = frames["tieu_chi_xa"]
    # xã only: Thọ Xuân's 3 townships take no part
    assert set(xa["commune_code"]) == {u.code for u in rural_communes(admin, "395", date(2023, 5, 1))}
    assert len(xa) == 27
    assert set(xa["ntm_title"]) <= {"none", "ntm", "advanced", "model"}
    assert len(frames["tieu_chi_xa_mark"]) == 19 * len(xa)
    assert "tong" in set(frames["nguon_von"]["source_code"])


@pytest.mark.parametrize("check", sorted(READER_CHECKS))
def test_reader_level_bad_variants(bad_variants: dict[str, Path], check: str) -> None:
    result = reader.read_submission(bad_variants[check], load_admin_units())
    names = {f.check_name for f in result.findings if f.severity == "error"}
    assert check in names, (check, result.findings)


def test_a_filled_in_template_reads_like_the_generated_file(tmp_path: Path) -> None:
    """The blank template, filled with a generated submission's content under its Vietnamese
    headers (row 2, below the instructions row), reads to the same rows as the generated file."""
    import openpyxl

    from ingest.devtools.template import set_text, write_template

    admin = load_admin_units()
    [clean] = [p for p in generate("38", [date(2023, 5, 1)], tmp_path / "gen", seed=21) if "_395_" in p.name]
    source = openpyxl.load_workbook(clean)
    filled = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx"))
    for row, (_, value) in enumerate(source["thong_tin"].iter_rows(min_row=2, values_only=True), start=3):
        set_text(filled["thong_tin"], row, 2, value)
    for sheet in source.sheetnames:
        if sheet == "thong_tin":
            continue
        rows = list(source[sheet].iter_rows(values_only=True))
        template_keys = [c.comment.text.removeprefix("key: ") for c in filled[sheet][2] if c.comment]
        assert list(rows[0]) == template_keys, sheet  # same columns, same order
        for r, values in enumerate(rows[1:], start=3):
            for c, value in enumerate(values, start=1):
                set_text(filled[sheet], r, c, value)
    path = tmp_path / "filled.xlsx"
    filled.save(path)
    a, b = reader.read_submission(clean, admin), reader.read_submission(path, admin)
    assert not has_errors(b.findings), b.findings
    assert {f.check_name for f in b.findings} <= {"unknown_sheet"}  # the hidden dropdown lists
    for name, frame in a.frames.items():
        pd.testing.assert_frame_equal(_comparable(frame), _comparable(b.frames[name]), obj=name)


@pytest.mark.parametrize("check", sorted(VALIDATION_CHECKS))
def test_validation_level_bad_variants_pass_the_reader(bad_variants: dict[str, Path], check: str) -> None:
    """These break rules of content, not of form: the reader must hand them on to the
    validation suites intact (no reader error), with the offending value in the frames."""
    if check not in bad_variants:
        pytest.skip(f"the good file cannot carry {check}")
    result = reader.read_submission(bad_variants[check], load_admin_units())
    assert not has_errors(result.findings), result.findings
    frames = result.frames
    if check == "amount_not_negative":
        assert (frames["nguon_von"]["amount_mvnd"] < 0).sum() == 1
    elif check == "stars_out_of_range":
        assert (frames["ocop"]["stars"] == 6).sum() == 1
    elif check == "criteria_met_mismatch":
        met = frames["tieu_chi_xa_mark"].groupby("commune_code")["is_met"].sum()
        reported = frames["tieu_chi_xa"].set_index("commune_code")["criteria_met_reported"]
        assert (met != reported.reindex(met.index)).sum() == 1


def test_generated_files_pass_validation(tmp_path: Path) -> None:
    """Clean and messy files of each case, validated in one batch: no validation errors."""
    validate = pytest.importorskip("ingest.quality.validate")
    admin = load_admin_units()
    items, names = [], []
    for province, month in CASES:
        for clean, messy in _pairs(tmp_path / f"{province}-{month:%Y%m}", province, month, limit=1):
            for path in (clean, messy):
                frames = reader.read_submission(path, admin).frames
                items.append(validate.BatchItem(len(items), frames, month.replace(day=28), None, None))
                names.append(path)
    runs = validate.validate_batch(items, build_docs=False)
    for key, path in enumerate(names):
        errors = [f for run in runs[key] for f in run.findings if f.severity == "error"]
        assert errors == [], (path, errors[:5])


@pytest.mark.parametrize("check", sorted(VALIDATION_CHECKS))
def test_validation_level_bad_variants_raise_their_check(validated_variants: dict[str, list], check: str) -> None:
    if check not in validated_variants:
        pytest.skip(f"the good file cannot carry {check}")
    findings = validated_variants[check]
    severity = "warning" if check == "title_at_risk" else "error"
    assert check in {f.check_name for f in findings if f.severity == severity}, findings
