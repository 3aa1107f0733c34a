"""Known-bad copies of a clean generated submission: the corpus that proves each check fires.

Reader checks (ingest/intake): file_unreadable (not a workbook), missing_sheet, missing_column,
bad_number, bad_mark, bad_date, bad_period, unknown_unit, province_mismatch, unknown_commune (a
commune of another district), duplicate_commune, unsafe_zip_entry (`../` names),
zip_too_many_entries. Validation (GX, ingest/quality/validate.py) checks: criteria_met_mismatch,
amount_not_negative, total_mismatch, stars_out_of_range, future_period (the period two months
on: after the month of receipt when received in the period's month or the next); and the
warning title_at_risk (an NTM commune not meeting all 19).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from ingest.contract import CRITERIA, TITLES
from ingest.devtools.generate import csv_text
from ingest.devtools.reproducible import workbook_bytes, zip_bytes
from ingest.devtools.synthetic import add_months
from ingest.devtools.template import neutralise
from ingest.intake.admin_units import AdminUnits, package_units


def _edit(good: Path, dest: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(good)
    change(wb)
    dest.write_bytes(workbook_bytes(wb))
    return dest


def _header_col(ws, key: str) -> int:
    for cell in ws[1]:
        if cell.value == key:
            return cell.column
    raise KeyError(f"{ws.title} has no column {key!r} in row 1 (a clean generated file is needed)")


def _set(ws, row: int, key: str, value: Any) -> None:
    neutralise(ws.cell(row=row, column=_header_col(ws, key), value=value))


def _info(ws, key: str, value: Any) -> None:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == key:
            row[1].value = value
            return
    raise KeyError(key)


def _first_unit_rows(ws, unit_code: str) -> list[int]:
    col = _header_col(ws, "unit_code")
    return [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == unit_code]


Change = Callable[[openpyxl.Workbook], None]


def write_bad_variants(good: Path, out_dir: Path) -> dict[str, Path]:
    """Known-bad copies of a clean generated submission, keyed by the check name each must raise
    (the checks: this module's docstring)."""
    good = Path(good)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.load_workbook(good, read_only=True)
    info = {row[0]: row[1] for row in wb["thong_tin"].iter_rows(min_row=2, values_only=True)}
    wb.close()
    period = date(int(info["period"][:4]), int(info["period"][5:7]), 1)
    unit = str(info["submitting_unit_code"])
    stem = good.stem
    bad = out / f"{stem}__file_unreadable.xlsx"
    bad.write_text("this is not a workbook\n", encoding="utf-8")
    variants: dict[str, Path] = {"file_unreadable": bad}
    changes = {**_reader_changes(package_units(), unit, period), **_validation_changes(unit, period)}
    if not _has_rated_product(good):
        del changes["stars_out_of_range"]
    for check, change in changes.items():
        variants[check] = _edit(good, out / f"{stem}__{check}.xlsx", change)
    variants.update(_bad_zips(good, out, stem))
    return variants


def _reader_changes(admin: AdminUnits, unit: str, period: date) -> dict[str, Change]:
    """Edits the reader must reject."""
    province = admin.unit(unit, period).province_code
    other_province = next(p.code for p in admin.provinces(period) if p.code != province)

    def other_commune(wb: openpyxl.Workbook) -> None:
        own = {u.code for u in admin.communes_of(unit, period)}
        stranger = next(c for p in admin.provinces(period) if p.code != province
                        for c in admin.communes_of(p.code, period) if c.code not in own)
        _set(wb["tieu_chi_xa"], 2, "commune_code", stranger.code)
        _set(wb["tieu_chi_xa"], 2, "commune_name", stranger.name)

    def duplicate(wb: openpyxl.Workbook) -> None:
        ws = wb["tieu_chi_xa"]
        ws.append([c.value for c in ws[2]])

    return {
        "missing_sheet": lambda wb: wb.remove(wb["tieu_chi_xa"]),
        "missing_column": lambda wb: wb["tieu_chi_xa"].delete_cols(_header_col(wb["tieu_chi_xa"], "commune_code")),
        "bad_number": lambda wb: _set(wb["nguon_von"], 2, "amount_mvnd", "12,3,4 triệu"),
        "bad_mark": lambda wb: _set(wb["tieu_chi_xa"], 2, "tc05", "có lẽ"),
        "bad_date": lambda wb: _info(wb["thong_tin"], "submitted_on", "31/02/2023"),
        "bad_period": lambda wb: _info(wb["thong_tin"], "period", "tháng năm"),
        "unknown_unit": lambda wb: _info(wb["thong_tin"], "submitting_unit_code", "999"),
        "province_mismatch": lambda wb: _info(wb["thong_tin"], "province_code", other_province),
        "unknown_commune": other_commune,
        "duplicate_commune": duplicate,
    }


def _validation_changes(unit: str, period: date) -> dict[str, Change]:
    """Edits the reader accepts and the validation (GX) flags."""
    # two months on: "future" for a file received in its own period's month or the next one
    # (the validation takes the receipt date); the same unit still exists then, as a rule
    ahead = add_months(period, 2)

    def mismatch(wb: openpyxl.Workbook) -> None:
        ws = wb["tieu_chi_xa"]
        col = _header_col(ws, "criteria_met")
        ws.cell(2, col).value = (int(ws.cell(2, col).value) + 1) % 20

    def negative(wb: openpyxl.Workbook) -> None:
        ws = wb["nguon_von"]
        rows = _first_unit_rows(ws, unit)
        col = _header_col(ws, "amount_mvnd")
        value = ws.cell(rows[0], col).value
        ws.cell(rows[0], col).value = -abs(value) - 1
        ws.cell(rows[-1], col).value = round(ws.cell(rows[-1], col).value - 2 * abs(value) - 1, 1)  # keep tong right

    def total(wb: openpyxl.Workbook) -> None:
        ws = wb["nguon_von"]
        rows = _first_unit_rows(ws, unit)
        col = _header_col(ws, "amount_mvnd")
        ws.cell(rows[-1], col).value = ws.cell(rows[-1], col).value + 1000

    def stars(wb: openpyxl.Workbook) -> None:
        ws = wb["ocop"]
        col = _header_col(ws, "stars")
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None)
        ws.cell(row, col).value = 6

    def titled_at_risk(wb: openpyxl.Workbook) -> None:  # a warning: loads, flagged for auditors
        ws = wb["tieu_chi_xa"]
        for key in CRITERIA:
            _set(ws, 2, key, "Đ")
        _set(ws, 2, CRITERIA[16], "CĐ")  # environment slipped after the title
        _set(ws, 2, "criteria_met", 18)
        _set(ws, 2, "ntm_title", TITLES["ntm"])
        _set(ws, 2, "title_decision", "123/QĐ-UBND")
        _set(ws, 2, "title_date", date(period.year - 2, 6, 15))

    return {"future_period": lambda wb: _info(wb["thong_tin"], "period", f"{ahead:%Y-%m}"),
            "criteria_met_mismatch": mismatch, "amount_not_negative": negative, "total_mismatch": total,
            "stars_out_of_range": stars, "title_at_risk": titled_at_risk}


def _has_rated_product(path: Path) -> bool:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        if "ocop" not in wb.sheetnames:
            return False
        rows = list(wb["ocop"].iter_rows(values_only=True))
        col = rows[0].index("stars")
        return any(row[col] is not None for row in rows[1:])
    finally:
        wb.close()


def _bad_zips(good: Path, out: Path, stem: str) -> dict[str, Path]:
    """Zips of CSVs: one with a path-traversal entry name, one with too many entries."""
    wb = openpyxl.load_workbook(good, read_only=True)
    files = {f"{ws.title}.csv": csv_text([list(r) for r in ws.iter_rows(values_only=True)])
             for ws in wb.worksheets}
    wb.close()
    traversal = dict(files)
    traversal["../../evil.csv"] = "x\n1\n"
    many = dict(files)
    many.update({f"extra_{i:03d}.csv": "x\n1\n" for i in range(60)})
    paths = {"unsafe_zip_entry": out / f"{stem}__unsafe_zip_entry.zip",
             "zip_too_many_entries": out / f"{stem}__zip_too_many_entries.zip"}
    paths["unsafe_zip_entry"].write_bytes(zip_bytes(traversal))
    paths["zip_too_many_entries"].write_bytes(zip_bytes(many))
    return paths
